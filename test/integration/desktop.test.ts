/**
 * The desktop client end to end: a real server, the real client window (NodeGui under Xvfb, in a
 * child process) driven through its widgets, and MeetingClient bots on the other side. Screenshots
 * go to artifacts/desktop-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import type { MediaSession } from '../../client/media/MediaSession';
import { completeMention, formatChatLine, gridRows, gridShape } from '../../client/ui/format';
import type { MediaSessionLike } from '../../client/ui/mediaTypes';
import type { ChatMessage } from '../../common/protocol';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi, hasXdotool, sleep } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';

// Compile-time check: the real MediaSession still offers what the UI codes against.
const mediaSessionFitsUi = (session: MediaSession): MediaSessionLike => session;
void mediaSessionFitsUi;

const PASSWORD = 'secret-pass-1';

function loadMediaSession():
  { MediaSession: new (client: MeetingClient, options: object) => MediaSession } | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../client/media/MediaSession') as {
      MediaSession: new (client: MeetingClient, options: object) => MediaSession;
    };
  } catch (error) {
    return `client/media/MediaSession cannot be loaded: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Mean absolute difference and grey-level spread of two PNGs (optionally cropped), via OpenCV. */
function comparePngs(
  a: string,
  b: string,
  crop?: { x: number; y: number; width: number; height: number },
): { diff: number; spreadA: number; spreadB: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cv } = require('../../client/media/opencv') as typeof import('../../client/media/opencv');
  const load = (file: string): ReturnType<typeof cv.imread> => {
    const image = cv.imread(file);
    return crop ? image.getRegion(new cv.Rect(crop.x, crop.y, crop.width, crop.height)) : image;
  };
  const [ia, ib] = [load(a), load(b)];
  const grey = (m: ReturnType<typeof cv.imread>): number =>
    m.cvtColor(cv.COLOR_BGR2GRAY).meanStdDev().stddev.at(0, 0);
  const d = ia.absdiff(ib).mean();
  return { diff: (d.w + d.x + d.y) / 3, spreadA: grey(ia), spreadB: grey(ib) };
}

describe('desktop client helpers', () => {
  it('shapes the video grid: 1→1x1, 2→2x1, 3-4→2x2, 5-6→3x2, 7-9→3x3', () => {
    const shapes = [1, 2, 3, 4, 5, 6, 7, 9, 10].map((n) => gridShape(n));
    assert.deepEqual(
      shapes.map((s) => `${s.cols}x${s.rows}`),
      ['1x1', '2x1', '2x2', '2x2', '3x2', '3x2', '3x3', '3x3', '4x3'],
    );
    assert.deepEqual(gridRows([1, 2, 3]), [[1, 2], [3]]);
  });

  it('completes @names with Tab and marks private and mention lines', () => {
    assert.deepEqual(completeMention('hi @bo', 6, ['alice', 'bob']), {
      text: 'hi @bob ',
      cursor: 8,
      candidates: ['bob'],
    });
    assert.equal(completeMention('hi @b', 5, ['bob', 'bobby'])?.text, 'hi @bob');
    assert.equal(completeMention('no mention', 10, ['bob']), null);
    const base: ChatMessage = {
      id: 1,
      meetingId: 'm',
      from: { userId: 2, username: 'bob' },
      to: null,
      mentions: null,
      text: 'x',
      at: 0,
    };
    assert.match(formatChatLine({ ...base, to: 'alice' }, 'alice'), /\[private\] bob → you: x$/);
    assert.match(
      formatChatLine({ ...base, mentions: ['alice'] }, 'alice'),
      /\[mention @alice\] bob: x$/,
    );
    assert.match(formatChatLine(base, 'alice'), /bob: x$/);
  });
});

describe('desktop client (real window under Xvfb)', function () {
  this.timeout(120_000);
  let t: TestServer;
  let display: string;
  const uis: DesktopUi[] = [];
  const xdotool = hasXdotool();

  before(async () => {
    display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer('sqlite');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      for (const ui of uis) console.log(`      client stderr:\n${ui.stderr}`);
    await Promise.all(uis.splice(0).map((ui) => ui.quit()));
  });

  after(async () => {
    await t?.stop();
  });

  const launch = async (): Promise<DesktopUi> => {
    const ui = await DesktopUi.launch({ server: `127.0.0.1:${t.port}`, display });
    uis.push(ui);
    return ui;
  };

  const register = async (username: string): Promise<void> => {
    const c = await t.client({ media: false });
    await c.register(username, PASSWORD);
    await c.close();
  };

  /** Types credentials and presses Log in: with real X input when xdotool is there. */
  const logIn = async (ui: DesktopUi, username: string, password = PASSWORD): Promise<void> => {
    if (xdotool) {
      await ui.xFill('loginUser', username);
      await ui.xFill('loginPassword', password);
      await ui.xClick('loginButton');
    } else {
      await ui.setText('loginUser', username);
      await ui.setText('loginPassword', password);
      await ui.click('loginButton');
    }
  };

  const joinBot = async (username: string, meetingId: string): Promise<MeetingClient> => {
    const bot = await t.client();
    await bot.register(username, PASSWORD);
    await bot.joinMeeting(meetingId);
    return bot;
  };

  it('opens an interactive login window (launch time, idle CPU of the Qt pump)', async () => {
    const ui = await launch();
    const button = await ui.waitForWidget('loginButton', (w) => w.enabled);
    const server = await ui.waitForWidget('loginServer');
    assert.equal(server.text, `127.0.0.1:${t.port}`, 'the server address is prefilled');
    assert.equal(button.text, 'Log in');
    const cpu0 = ui.cpuMs();
    const t0 = Date.now();
    await sleep(3000);
    const idle = ((ui.cpuMs() - cpu0) / (Date.now() - t0)) * 100;
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-login.png'));
    console.log(
      `      launch to interactive login window: ${ui.launchMs} ms (spawn to ready; client uptime ${ui.reportedLaunchMs} ms); ` +
        `idle CPU at the login window ${idle.toFixed(1)}% of one core; input: ${xdotool ? 'xdotool (real X events)' : 'automation channel'}`,
    );
    assert.ok(ui.launchMs < 15_000, `launch took ${ui.launchMs} ms`);
    const closing = Date.now();
    assert.equal(await ui.quit(), 0, 'closing the window ends the process cleanly');
    console.log(`      window closed to process exit: ${Date.now() - closing} ms`);
  });

  it('shows the error of a failed login (wrong password) in loginError', async () => {
    await register('dora');
    const ui = await launch();
    await logIn(ui, 'dora', 'not-the-password');
    const error = await ui.waitForWidget('loginError', (w) => w.text.length > 0);
    assert.match(error.text, /ERR_BAD_CREDENTIALS/);
    assert.match(error.text, /Wrong username or password/);
    assert.equal((await ui.state()).page, 'login');
    await ui.grab(path.join(ARTIFACTS, 'desktop-login-error.png'));

    // Register mode with a taken name.
    await ui.click('registerButton');
    await ui.waitForWidget('loginConfirm');
    await ui.setText('loginPassword', PASSWORD);
    await ui.setText('loginConfirm', PASSWORD);
    await ui.click('registerButton');
    await ui.waitForWidget('loginError', (w) => w.text.includes('ERR_USERNAME_TAKEN'));

    // A server that is not there.
    await ui.setText('loginServer', '127.0.0.1:1');
    await ui.click('loginButton');
    await ui.waitForWidget(
      'loginError',
      (w) => w.text.includes('ERR_CONNECT_FAILED') && w.text.includes('Cannot reach the server'),
    );
    assert.equal(
      (await ui.widget('loginConfirm'))?.visible ?? false,
      false,
      'Log in leaves register mode',
    );
  });

  it('logs in, creates a meeting; a bot joins and chats; @mention completes with Tab', async () => {
    await register('alice');
    const ui = await launch();
    await logIn(ui, 'alice');
    await ui.waitForWidget('createName');
    if (xdotool) {
      await ui.xFill('createName', 'Design review');
      await ui.xClick('createButton');
    } else {
      await ui.setText('createName', 'Design review');
      await ui.click('createButton');
    }
    const idLabel = await ui.waitForWidget('meetingId', (w) =>
      /^\d{3}-\d{3}-\d{3}$|\S/.test(w.text),
    );
    const meetingId = idLabel.text;
    assert.equal((await ui.widget('meetingTitle'))?.text, 'Design review');

    const bot = await joinBot('bot', meetingId);
    const members = await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('bot')),
    );
    assert.ok(
      members.items?.some((i) => i.includes('alice') && i.includes('host')),
      `host marked: ${members.items?.join(' | ')}`,
    );
    await bot.say('hello from the bot');
    await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.includes('bot: hello from the bot')),
    );
    await bot.say('psst alice', 'alice');
    const log = await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.includes('[private] bot → you: psst alice')),
    );
    assert.equal(log.items?.length, 2);

    if (xdotool) {
      // Real typing: "@bo" + Tab completes to "@bot ", Return sends (a mention delivered to the bot).
      const got = waitFor<[ChatMessage]>(bot, 'chat', (m) => m.from.username === 'alice');
      await ui.xClick('chatInput');
      await ui.xType('thanks @bo');
      await ui.xKey('Tab');
      await ui.waitForWidget('chatInput', (w) => w.text === 'thanks @bot ');
      await ui.xType('see you');
      await ui.xKey('Return');
      const [message] = await got;
      assert.equal(message.text, 'thanks @bot see you');
      assert.deepEqual(message.mentions, ['bot']);
      await ui.waitForWidget('chatLog', (w) =>
        (w.items ?? []).some((i) => i.includes('[mention @bot] you: thanks @bot see you')),
      );
    } else {
      console.log(
        '      (xdotool not installed: Tab completion and Return not exercised with real key events)',
      );
      await ui.setText('chatInput', 'thanks @bot see you');
      const got = waitFor<[ChatMessage]>(bot, 'chat', (m) => m.from.username === 'alice');
      await ui.click('chatSend');
      assert.deepEqual((await got)[0].mentions, ['bot']);
    }
    // A private message through the target selector.
    const target = await ui.waitForWidget('chatTarget', (w) =>
      (w.items ?? []).includes('Only bot'),
    );
    await ui.select('chatTarget', (target.items ?? []).indexOf('Only bot'));
    await ui.setText('chatInput', 'just for you');
    const privately = waitFor<[ChatMessage]>(bot, 'chat', (m) => m.text === 'just for you');
    await ui.click('chatSend');
    assert.equal((await privately)[0].to, 'bot');
    await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.includes('[private] you → bot: just for you')),
    );
    await ui.grab(path.join(ARTIFACTS, 'desktop-meeting-window.png'));
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-meeting.png'));
  });

  it("shows the bot's video in its tile (changing, non-uniform pixels)", async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    const { MediaSession } = media as Exclude<typeof media, string>;
    await register('carol');
    const ui = await launch();
    await logIn(ui, 'carol');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Video check');
    await ui.click('createButton');
    const meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
    const bot = await joinBot('camerabot', meetingId);
    // The bot also sends a tone, so it becomes the active speaker.
    const session = new MediaSession(bot, { video: 'testpattern', audio: 'tone', speaker: 'none' });
    try {
      await session.start();
      await bot.setMediaState(true, true);
      const botId = bot.session?.memberId as number;
      await ui.waitForState(
        (s) => (s.renderer.perMember[String(botId)] ?? 0) >= 10,
        15_000,
        'ten painted frames of the bot',
      );
      const tile = await ui.waitForWidget(`video-${botId}`);
      const flags = await ui.widget(`tileFlags-${botId}`);
      assert.ok(!flags?.text.includes('camera off'), `flags: ${flags?.text}`);
      // Two grabs of the tile's label, and two screenshots of the whole X screen cropped to it.
      const [g1, g2, s1, s2] = ['tile-1', 'tile-2', 'screen-1', 'screen-2'].map((n) =>
        path.join(ARTIFACTS, `desktop-${n}.png`),
      );
      await ui.grab(g1, `video-${botId}`);
      await ui.screenshot(s1);
      await sleep(400);
      await ui.grab(g2, `video-${botId}`);
      await ui.screenshot(s2);
      const grabbed = comparePngs(g1, g2);
      const screen = comparePngs(s1, s2, {
        x: tile.x,
        y: tile.y,
        width: tile.width,
        height: tile.height,
      });
      console.log(
        `      bot tile ${tile.width}x${tile.height} at (${tile.x},${tile.y}): grab diff ${grabbed.diff.toFixed(1)}, spread ${grabbed.spreadA.toFixed(1)}; ` +
          `screen diff ${screen.diff.toFixed(1)}, spread ${screen.spreadA.toFixed(1)}`,
      );
      for (const r of [grabbed, screen]) {
        assert.ok(
          r.spreadA > 20 && r.spreadB > 20,
          `non-uniform pixels (grey spread ${r.spreadA}, ${r.spreadB})`,
        );
        assert.ok(r.diff > 1, `the picture changes (mean difference ${r.diff})`);
      }
      await ui.waitForWidget(`tileFlags-${botId}`, (w) => w.text.includes('speaking'), 10_000);
      await ui.screenshot(path.join(ARTIFACTS, 'desktop-video.png'));

      // The camera button stops the camera and tells the room; the self tile says so.
      const selfId = (await ui.state()).selfId as number;
      const stopped = waitFor<[{ memberId: number; video: boolean }]>(
        bot,
        'mediaState',
        (m) => m.memberId === selfId && !m.video,
      );
      await ui.click('cameraButton');
      await stopped;
      await ui.waitForWidget(`tileFlags-${selfId}`, (w) => w.text.includes('camera off'));
      await ui.waitForWidget(`video-${selfId}`, (w) => w.text === 'Camera off');
      assert.equal((await ui.widget('cameraButton'))?.text, 'Start camera');
    } finally {
      await session.stop();
    }
  });

  it('re-flows the tiles as people join and leave (2→2x1, 5→3x2, 3→2x2)', async () => {
    await register('hugo');
    const ui = await launch();
    await logIn(ui, 'hugo');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Crowd');
    await ui.click('createButton');
    const meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
    /** Waits until `n` equal tiles are laid out as `expected` columns x rows (layout follows the render). */
    const shape = async (n: number, expected: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      let seen = '';
      while (Date.now() < deadline) {
        const tiles = (await ui.tree()).filter((w) => /^tile-\d+$/.test(w.name) && w.visible);
        // Columns: the fullest row (a short last row is centred); all tiles the same size.
        const perRow = new Map<number, number>();
        for (const w of tiles) perRow.set(w.y, (perRow.get(w.y) ?? 0) + 1);
        const sizes = new Set(tiles.map((w) => `${w.width}x${w.height}`)).size;
        const got = `${tiles.length} tiles: ${Math.max(0, ...perRow.values())}x${perRow.size}${sizes > 1 ? ' (unequal)' : ''}`;
        if (got === `${n} tiles: ${expected}`) return;
        seen = `${got} (${tiles.map((w) => `${w.name}@${w.x},${w.y} ${w.width}x${w.height}`).join('; ')})`;
        await sleep(100);
      }
      assert.fail(`expected ${n} tiles in ${expected}, saw ${seen}`);
    };
    const bots: MeetingClient[] = [];
    for (let i = 1; i <= 4; i++) {
      const bot = await t.client({ media: false });
      await bot.register(`crowd${i}`, PASSWORD);
      await bot.joinMeeting(meetingId);
      bots.push(bot);
      if (i === 1) await shape(2, '2x1');
    }
    await shape(5, '3x2');
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-five-tiles.png'));
    await bots[0].leaveMeeting();
    await bots[1].leaveMeeting();
    await shape(3, '2x2');
  });

  it('leaving the meeting returns to the lobby and the bot sees memberLeft', async () => {
    await register('erin');
    const ui = await launch();
    await logIn(ui, 'erin');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Short one');
    await ui.click('createButton');
    const meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
    const bot = await joinBot('leavebot', meetingId);
    await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('leavebot')),
    );
    const left = waitFor<[{ username: string; reason: string }]>(
      bot,
      'memberLeft',
      (m) => m.username === 'erin',
    );
    if (xdotool) await ui.xClick('leaveButton');
    else await ui.click('leaveButton');
    const [event] = await left;
    assert.equal(event.reason, 'left');
    await ui.waitForWidget('createButton');
    const recent = await ui.waitForWidget('recentList', (w) =>
      (w.items ?? []).some((i) => i.includes(meetingId)),
    );
    assert.ok(recent.items?.some((i) => i.includes('Short one')));
    assert.equal((await ui.state()).page, 'lobby');
    await ui.grab(path.join(ARTIFACTS, 'desktop-lobby.png'));
  });

  it('asks for the meeting password when a join needs it, then joins', async () => {
    await register('gina');
    const host = await t.client();
    await host.register('passhost', PASSWORD);
    const { meeting } = await host.createMeeting('Locked room', 'door-code');
    const ui = await launch();
    await logIn(ui, 'gina');
    await ui.waitForWidget('joinId');
    await ui.setText('joinId', meeting.id);
    await ui.click('joinButton');
    const error = await ui.waitForWidget('lobbyError', (w) =>
      w.text.includes('ERR_MEETING_PASSWORD'),
    );
    assert.match(error.text, /needs a password/);
    await ui.waitForWidget('joinPassword');
    await ui.setText('joinPassword', 'wrong-code');
    await ui.click('joinButton');
    await ui.waitForWidget('lobbyError', (w) => w.text.includes('Wrong meeting password'));
    const joined = waitFor<[{ username: string }]>(
      host,
      'memberJoined',
      (m) => m.username === 'gina',
    );
    await ui.setText('joinPassword', 'door-code');
    await ui.click('joinButton');
    await joined;
    await ui.waitForWidget('meetingTitle', (w) => w.text === 'Locked room');
  });

  it('returns to the login window saying "Logged in elsewhere" when the account logs in again', async () => {
    // This account is created through the window's Register mode.
    const ui = await launch();
    await ui.click('registerButton');
    await ui.setText('loginUser', 'frank');
    await ui.setText('loginPassword', PASSWORD);
    await ui.setText('loginConfirm', 'a-typo');
    await ui.click('registerButton');
    await ui.waitForWidget('loginError', (w) => w.text.includes('do not match'));
    await ui.setText('loginConfirm', PASSWORD);
    await ui.click('registerButton');
    await ui.waitForWidget('createName');
    const other = await t.client({ media: false });
    await other.login('frank', PASSWORD);
    const error = await ui.waitForWidget('loginError', (w) =>
      w.text.includes('Logged in elsewhere'),
    );
    assert.match(error.text, /ERR_LOGGED_IN_ELSEWHERE/);
    assert.equal((await ui.state()).page, 'login');
    assert.equal((await ui.widget('loginUser'))?.text, 'frank', 'the username stays filled in');
  });
});
