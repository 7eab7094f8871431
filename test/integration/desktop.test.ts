/**
 * The desktop client end to end: a real server, the real client window (NodeGui under Xvfb, in a
 * child process) driven through its widgets, and MeetingClient bots on the other side. Screenshots
 * go to artifacts/desktop-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import type { MediaSession, RemoteVideoFrame } from '../../client/media/MediaSession';
import { DesktopApp } from '../../client/ui/DesktopApp';
import {
  completeMention,
  formatChatLine,
  formatMember,
  gridRows,
  gridShape,
  screenLayout,
} from '../../client/ui/format';
import { FACE_EFFECTS, MediaSource } from '../../common/constants';
import type { ChatMessage, MemberInfo } from '../../common/protocol';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi, hasXdotool, sleep, type UiWidget } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';
import { writeFaceClip } from '../helpers/media';

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

/** OpenCV and the screen-test helpers, loaded on first use (they need the native media modules). */
function mediaTools(): {
  cv: typeof import('../../client/media/native/opencv').cv;
  jpeg: typeof import('../../client/media/codec/Jpeg');
  screen: typeof import('../unit/screen/helpers');
  X11Grabber: typeof import('../../client/media/screen/X11Grabber').X11Grabber;
} {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    cv: (
      require('../../client/media/native/opencv') as typeof import('../../client/media/native/opencv')
    ).cv,
    jpeg: require('../../client/media/codec/Jpeg') as typeof import('../../client/media/codec/Jpeg'),
    screen: require('../unit/screen/helpers') as typeof import('../unit/screen/helpers'),
    X11Grabber: (
      require('../../client/media/screen/X11Grabber') as typeof import('../../client/media/screen/X11Grabber')
    ).X11Grabber,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const MESSI = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The largest face OpenCV's frontal-face cascade finds in a BGR picture. */
function findFace(bgr: Buffer, width: number, height: number): Rect | null {
  const { cv } = mediaTools();
  const classifier = new cv.CascadeClassifier(cv.HAAR_FRONTALFACE_ALT2);
  const grey = new cv.Mat(bgr, height, width, cv.CV_8UC3).bgrToGray();
  const { objects } = classifier.detectMultiScale(grey, 1.1, 3);
  const best = objects.sort((p, q) => q.width * q.height - p.width * p.height)[0];
  return best ? { x: best.x, y: best.y, w: best.width, h: best.height } : null;
}

/** Mean absolute difference of two same-size BGR pictures inside a rectangle. */
function meanDiff(a: Buffer, b: Buffer, width: number, rect: Rect): number {
  let sum = 0;
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) sum += Math.abs(a[i + c] - b[i + c]);
      n += 3;
    }
  }
  return sum / n;
}

/**
 * The quadrant colours (RGB) of the picture inside a PNG (optionally cropped to a widget): the
 * picture is the bounding box of the bright pixels, as a tile letterboxes it on a dark background.
 */
function pictureQuadrants(
  file: string,
  crop?: { x: number; y: number; width: number; height: number },
): { colours: Array<readonly [number, number, number]>; box: Rect } {
  const { cv, screen } = mediaTools();
  let image = cv.imread(file);
  if (crop) image = image.getRegion(new cv.Rect(crop.x, crop.y, crop.width, crop.height)).copy();
  const data = image.getData();
  const { cols: width, rows: height } = image;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (Math.max(data[i], data[i + 1], data[i + 2]) <= 60) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  assert.ok(x1 > x0 + 16 && y1 > y0 + 16, `${file}: no picture in the tile`);
  const box = { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  const picture = image.getRegion(new cv.Rect(box.x, box.y, box.w, box.h)).copy();
  return { colours: screen.quadrantColours(picture.getData(), box.w, box.h, 3), box };
}

/** Mean absolute difference and grey-level spread of two PNGs (optionally cropped), via OpenCV. */
function comparePngs(
  a: string,
  b: string,
  crop?: { x: number; y: number; width: number; height: number },
): { diff: number; spreadA: number; spreadB: number } {
  const { cv } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../client/media/native/opencv') as typeof import('../../client/media/native/opencv');
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
      /\[only @alice\] bob: x$/,
    );
    assert.match(formatChatLine(base, 'alice'), /bob: x$/);
  });

  it("marks each member's face effect and screen share in the member list", () => {
    const member: MemberInfo = {
      memberId: 3,
      userId: 7,
      username: 'bob',
      isHost: false,
      audio: true,
      video: true,
      effect: 'none',
      screen: false,
      joinedAt: 0,
    };
    assert.equal(formatMember(member, 1).trim(), 'bob');
    assert.equal(formatMember({ ...member, effect: 'pixelate' }, 1).trim(), 'bob  — pixelate');
    assert.equal(
      formatMember({ ...member, effect: 'background-blur', screen: true, isHost: true }, 3),
      '★ bob (you)  — host, background blur, sharing screen',
    );
  });

  it('sizes the screen layout: shared screens take most of the area over a strip of cameras', () => {
    const chrome = { width: 8, height: 32 };
    const one = screenLayout({ width: 852, height: 650 }, 1, 3, { margin: 4, chrome });
    assert.ok(one.screen.width * one.screen.height > 6 * one.camera.width * one.camera.height);
    assert.ok(3 * (one.camera.width + 8) <= 852, 'the camera strip fits in one row');
    assert.ok(one.screen.height + 8 + one.camera.height + 8 <= 650, 'screens and strip fit');
    const two = screenLayout({ width: 852, height: 650 }, 2, 12, { margin: 4, chrome });
    assert.ok(2 * (two.screen.width + 8) <= 852 && 12 * (two.camera.width + 8) <= 852);
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

  const launch = async (env?: Record<string, string>): Promise<DesktopUi> => {
    const ui = await DesktopUi.launch({
      server: `127.0.0.1:${t.port}`,
      display,
      ...(env ? { env } : {}),
    });
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
      await ui.xClick('joinNowButton');
    } else {
      await ui.setText('createName', 'Design review');
      await ui.click('createButton');
      await ui.joinNow();
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
        (w.items ?? []).some((i) => i.includes('[only @bot] you: thanks @bot see you')),
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
    await ui.joinNow();
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
      assert.equal((await ui.widget('cameraButton'))?.text, 'Start video');
    } finally {
      await session.stop();
    }
  });

  /** Registers `username`, launches a window, logs in and creates a meeting; returns its id. */
  const openMeeting = async (
    username: string,
    name: string,
    env?: Record<string, string>,
  ): Promise<{ ui: DesktopUi; meetingId: string }> => {
    await register(username);
    const ui = await launch(env);
    await logIn(ui, username);
    await ui.waitForWidget('createName');
    await ui.setText('createName', name);
    await ui.click('createButton');
    await ui.joinNow();
    const meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
    return { ui, meetingId };
  };

  it('the effect selector changes what a bot decodes from the desktop camera (face only) and is remembered', async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    if (!fs.existsSync(MESSI)) {
      console.log(`      SKIPPED: ${MESSI} is missing (apt-get install opencv-doc)`);
      this.skip();
    }
    const { MediaSession } = media as Exclude<typeof media, string>;
    const { jpeg } = mediaTools();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-ui-fx-'));
    const env = { MEETING_UI_VIDEO: writeFaceClip(tmp, 30) };
    const { ui, meetingId } = await openMeeting('fiona', 'Effects', env);
    const bot = await joinBot('fxbot', meetingId);
    const session = new MediaSession(bot, {});
    try {
      const box = await ui.waitForWidget('effectSelect');
      assert.deepEqual(box.items, [
        'No effect',
        'Blur',
        'Pixelate',
        'Glasses',
        'Beauty',
        'Background blur',
      ]);
      assert.equal(box.text, 'No effect', 'a new account starts without an effect');
      const selfId = (await ui.state()).selfId as number;
      let latest: RemoteVideoFrame | null = null;
      let received = 0;
      session.on('video', (f) => {
        if (f.memberId === selfId && f.source === MediaSource.CAMERA) {
          latest = { ...f, jpeg: Buffer.from(f.jpeg) };
          received++;
        }
      });
      await session.start();
      const deadline = Date.now() + 15_000;
      while (!latest && Date.now() < deadline) await sleep(100);
      assert.ok(latest, 'the bot receives the desktop camera');
      // The clip's first frame decodes a little differently from the rest: let it pass.
      await sleep(1000);
      const before = latest as RemoteVideoFrame;
      const receivedBefore = received;

      const told = waitFor<[{ memberId: number; effect: string }]>(
        bot,
        'effectChanged',
        (e) => e.memberId === selfId,
        10_000,
      );
      const index = FACE_EFFECTS.indexOf('pixelate');
      if (xdotool) await ui.xChoose('effectSelect', index);
      else await ui.select('effectSelect', index);
      const [event] = await told;
      assert.equal(event.effect, 'pixelate');
      await ui.waitForWidget('effectSelect', (w) => w.text === 'Pixelate');
      await ui.waitForWidget('memberList', (w) =>
        (w.items ?? []).some((i) => i.includes('fiona (you)') && i.includes('pixelate')),
      );
      assert.equal(bot.members.find((m) => m.memberId === selfId)?.effect, 'pixelate');
      await sleep(1500);
      const after = latest as unknown as RemoteVideoFrame;
      assert.ok(
        received > receivedBefore + 5,
        `video kept arriving (${receivedBefore} → ${received} frames)`,
      );
      fs.writeFileSync(path.join(ARTIFACTS, 'desktop-effect-received-before.jpg'), before.jpeg);
      fs.writeFileSync(path.join(ARTIFACTS, 'desktop-effect-received-after.jpg'), after.jpeg);

      const a = jpeg.decodeJpegBgr(before.jpeg);
      const b = jpeg.decodeJpegBgr(after.jpeg);
      assert.deepEqual([b.width, b.height], [a.width, a.height]);
      const face = findFace(a.data, a.width, a.height);
      assert.ok(face, 'a face is found in what the bot received');
      const inside = meanDiff(a.data, b.data, a.width, face);
      // Far from the face: the top-left corner (the face is in the middle of the picture).
      const far = meanDiff(a.data, b.data, a.width, { x: 0, y: 0, w: 80, h: 80 });
      console.log(
        `      pixelate chosen in the window: face region (${face.w}x${face.h}) of the bot's decoded video changed by ${inside.toFixed(1)}, far region by ${far.toFixed(2)}`,
      );
      assert.ok(inside > 4, `the face region changed (mean difference ${inside.toFixed(2)})`);
      assert.ok(
        far < 2.5 && far < inside / 2,
        `far from the face (almost) nothing changed (mean difference ${far.toFixed(2)})`,
      );

      // The bot's own effect shows in the window's member list.
      await bot.setEffect('blur');
      await ui.waitForWidget('memberList', (w) =>
        (w.items ?? []).some((i) => i.includes('fxbot') && i.includes('— blur')),
      );
      await ui.waitForState((s) => (s.renderer.perMember[String(selfId)] ?? 0) > 5);
      await ui.screenshot(path.join(ARTIFACTS, 'desktop-effect.png'));
    } finally {
      await session.stop();
    }

    // The account remembers it: a new window logging in starts with Pixelate selected.
    await ui.quit();
    const again = await launch(env);
    await logIn(again, 'fiona');
    await again.waitForWidget('createName');
    await again.setText('createName', 'Effects again');
    await again.click('createButton');
    await again.waitForWidget('joinEffectSelect', (w) => w.text === 'Pixelate');
    await again.joinNow();
    await again.waitForWidget('effectSelect', (w) => w.text === 'Pixelate');
    assert.equal((await again.state()).effect, 'pixelate');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("switches to a large screen tile while a bot shares its screen; the host's own share reaches the bot", async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    const { MediaSession } = media as Exclude<typeof media, string>;
    const { jpeg, screen, X11Grabber } = mediaTools();
    // The bot shares a display of its own showing four coloured quadrants: on the test display the
    // desktop window would cover most of the pattern (and show itself in the tile).
    const shared = await screen.startXvfb(1280, 800, 24);
    // Xvfb resets the root window when its last client leaves: hold a connection for the test.
    const keeper = X11Grabber.open(shared.display);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-ui-screen-'));
    let session: MediaSession | null = null;
    try {
      const { width, height } = keeper.size();
      const png = path.join(tmp, 'pattern.png');
      screen.writeQuadrantsPng(png, width, height, screen.PATTERN_A);
      screen.paintRoot(shared.display, png);

      const { ui, meetingId } = await openMeeting('ivan', 'Screens');
      const selfId = (await ui.state()).selfId as number;
      const bot = await joinBot('sharebot', meetingId);
      session = new MediaSession(bot, {
        video: 'testpattern',
        audio: 'none',
        speaker: 'none',
        screenDisplay: shared.display,
      });
      await session.start();
      await bot.setMediaState(false, true);
      const botId = bot.session?.memberId as number;
      const cameraTiles = async (): Promise<UiWidget[]> =>
        (await ui.tree()).filter((w) => /^tile-\d+$/.test(w.name) && w.visible);
      await ui.waitForWidget(`tile-${botId}`);
      assert.equal((await ui.widget('shareButton'))?.text, 'Share');

      // The bot shares: the window switches to the screen layout.
      await session.startScreenShare();
      await ui.waitForWidget(`screen-${botId}`);
      await ui.waitForState(
        (s) => (s.renderer.perScreen[String(botId)] ?? 0) >= 3,
        15_000,
        'three painted screen frames',
      );
      // The layout follows the render: wait until the screen tile is large and the strip below it.
      let tile: UiWidget | undefined;
      let cams: UiWidget[] = [];
      const laidOut = (): boolean =>
        tile !== undefined &&
        cams.length === 2 &&
        cams.every(
          (c) =>
            tile !== undefined &&
            tile.width > 2 * c.width &&
            tile.height > 2 * c.height &&
            c.y >= tile.y + tile.height,
        );
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const tree = await ui.tree();
        tile = tree.find((w) => w.name === `screen-${botId}` && w.visible);
        cams = tree.filter((w) => /^tile-\d+$/.test(w.name) && w.visible);
        if (laidOut()) break;
        await sleep(100);
      }
      const where = (w: UiWidget): string => `${w.name}@${w.x},${w.y} ${w.width}x${w.height}`;
      assert.ok(
        laidOut(),
        `a large screen tile over a strip of both camera tiles: ${[tile, ...cams]
          .filter((w): w is UiWidget => w !== undefined)
          .map(where)
          .join('; ')}`,
      );
      const screenTile = tile as UiWidget;
      console.log(`      screen layout: ${[screenTile, ...cams].map(where).join('; ')}`);
      assert.equal((await ui.widget(`screenName-${botId}`))?.text, "sharebot's screen");
      const button = await ui.waitForWidget('shareButton', (w) => !w.enabled);
      assert.match(button.toolTip, /sharebot is sharing their screen/);
      await ui.waitForWidget('memberList', (w) =>
        (w.items ?? []).some((i) => i.includes('sharebot') && i.includes('sharing screen')),
      );
      // The host's option is in the settings pane.
      await ui.click('settingsButton');
      await ui.waitForWidget('allowScreensToggle');
      assert.equal(await ui.widget('allowScreensToggle').then((w) => w?.checked), false);

      // What the tile shows: the pattern's quadrant colours, in a grab and on the X screen.
      const label = await ui.waitForWidget(`screenVideo-${botId}`);
      const grabbed = path.join(ARTIFACTS, 'desktop-screen-tile.png');
      const shot = path.join(ARTIFACTS, 'desktop-screen-share.png');
      await ui.grab(grabbed, `screenVideo-${botId}`);
      await ui.screenshot(shot);
      const checks = [
        { what: 'grab', ...pictureQuadrants(grabbed) },
        { what: 'screenshot', ...pictureQuadrants(shot, label) },
      ];
      for (const { what, colours, box } of checks) {
        console.log(
          `      screen tile ${label.width}x${label.height} (${what}): picture ${box.w}x${box.h}, quadrants ${colours.map((c) => `(${c.map(Math.round).join(',')})`).join(' ')}`,
        );
        colours.forEach((c, i) =>
          assert.ok(
            screen.colourDistance(c, screen.PATTERN_A[i]) < 40,
            `${what}: quadrant ${i} shows ${c.map(Math.round).join(',')}`,
          ),
        );
        assert.ok(
          box.w > label.width / 2 && box.h > label.height / 2,
          'the picture fills the tile',
        );
      }

      // The host allows several screens; its own share then reaches the bot as source 1.
      const allowed = waitFor<[{ allowMultipleScreens: boolean }]>(
        bot,
        'roomOptions',
        (o) => o.allowMultipleScreens,
      );
      if (xdotool) await ui.xClick('allowScreensToggle');
      else await ui.click('allowScreensToggle');
      await allowed;
      await ui.waitForWidget('allowScreensToggle', (w) => w.checked === true);
      await ui.click('settingsButton');
      await ui.waitForWidget('shareButton', (w) => w.enabled);
      const fromDesktop: RemoteVideoFrame[] = [];
      session.on('video', (f) => {
        if (f.memberId === selfId && f.source === MediaSource.SCREEN)
          fromDesktop.push({ ...f, jpeg: Buffer.from(f.jpeg) });
      });
      const started = waitFor<[{ memberId: number; active: boolean }]>(
        bot,
        'screenShare',
        (e) => e.memberId === selfId && e.active,
      );
      if (xdotool) await ui.xClick('shareButton');
      else await ui.click('shareButton');
      await started;
      await ui.waitForWidget('shareButton', (w) => w.text === 'Stop share' && w.enabled);
      await ui.waitForWidget('shareNotice', (w) => w.text === 'You are sharing your screen');
      const deadline = Date.now() + 10_000;
      while (fromDesktop.length < 3 && Date.now() < deadline) await sleep(100);
      assert.ok(fromDesktop.length >= 3, `the bot received ${fromDesktop.length} screen frames`);
      const frame = jpeg.decodeJpegBgr(fromDesktop[fromDesktop.length - 1].jpeg);
      fs.writeFileSync(
        path.join(ARTIFACTS, 'desktop-screen-received.jpg'),
        fromDesktop[fromDesktop.length - 1].jpeg,
      );
      console.log(
        `      the window's own share: the bot received ${fromDesktop.length} screen frames of ${frame.width}x${frame.height}`,
      );
      assert.ok(frame.width >= 640 && frame.height >= 400, 'a screen-sized picture');
      assert.equal(
        (await ui.widget(`screen-${selfId}`)) ?? null,
        null,
        "no tile of one's own screen",
      );
      await ui.screenshot(path.join(ARTIFACTS, 'desktop-screen-both.png'));

      const stopped = waitFor<[{ memberId: number; active: boolean }]>(
        bot,
        'screenShare',
        (e) => e.memberId === selfId && !e.active,
      );
      await ui.click('shareButton');
      await stopped;
      await ui.waitForGone('shareNotice');
      await ui.waitForWidget('shareButton', (w) => w.text === 'Share');

      // The bot stops: the grid returns (two equal tiles side by side).
      await session.stopScreenShare();
      await ui.waitForGone(`screen-${botId}`);
      const deadline2 = Date.now() + 10_000;
      let grid: UiWidget[] = [];
      while (Date.now() < deadline2) {
        grid = await cameraTiles();
        if (
          grid.length === 2 &&
          grid[0].y === grid[1].y &&
          grid[0].width === grid[1].width &&
          grid[0].height > screenTile.height / 2
        )
          break;
        await sleep(100);
      }
      assert.ok(
        grid.length === 2 && grid[0].y === grid[1].y && grid[0].height > screenTile.height / 2,
        `grid back: ${grid.map((w) => `${w.name}@${w.x},${w.y} ${w.width}x${w.height}`).join('; ')}`,
      );
      await ui.waitForWidget(
        'memberList',
        (w) => !(w.items ?? []).some((i) => i.includes('sharing screen')),
      );
      await ui.screenshot(path.join(ARTIFACTS, 'desktop-screen-ended.png'));
    } finally {
      await session?.stop();
      keeper.close();
      await shared.kill();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('shows ERR_SCREEN_SHARE_BUSY when the server refuses a share (DesktopApp intents, no window)', async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    const { MediaSession } = media as Exclude<typeof media, string>;
    const host = await t.client();
    await host.register('busyhost', PASSWORD);
    const { meeting } = await host.createMeeting('Busy screens');
    const hostSession = new MediaSession(host, { screenDisplay: display });
    await register('judy');
    const app = new DesktopApp({
      server: `127.0.0.1:${t.port}`,
      // No PortAudio probing in the test process.
      listDevices: () => ({ cameras: [], microphones: [], speakers: [], audioError: '' }),
      env: { MEETING_UI_VIDEO: 'none', MEETING_UI_AUDIO: 'none', MEETING_UI_SPEAKER: 'none' },
      loadMedia: () => ({
        factory: (client) =>
          new MediaSession(client, {
            video: 'none',
            audio: 'none',
            speaker: 'none',
            screenDisplay: display,
          }),
        reason: '',
      }),
    });
    try {
      await hostSession.start();
      await hostSession.startScreenShare();
      await app.loginPage.login(`127.0.0.1:${t.port}`, 'judy', PASSWORD);
      app.lobbyPage.joinMeeting(meeting.id, '');
      assert.equal(app.state.page, 'join');
      await app.joinPage.join();
      assert.equal(app.state.page, 'meeting');
      assert.equal(app.shareBlockedBy?.username, 'busyhost');
      // The button is disabled then; a share started anyway (a race) is refused and said so.
      await app.meetingPage.toggleScreenShare();
      assert.equal(app.screenSharing, false);
      assert.match(
        app.state.toolbarError,
        /Someone else is sharing their screen \(ERR_SCREEN_SHARE_BUSY\)/,
      );
      // Not the host: the room option is refused too.
      await app.meetingPage.setAllowMultipleScreens(true);
      assert.match(app.state.toolbarError, /ERR_NOT_HOST/);
      // Once the host allows several screens, the share starts.
      const told = waitFor(app.client as MeetingClient, 'roomOptions');
      await host.setRoomOptions({ allowMultipleScreens: true });
      await told;
      assert.equal(app.shareBlockedBy, null);
      const shared = waitFor(
        host,
        'screenShare',
        (e: { memberId: number; active: boolean }) => e.memberId === app.selfId && e.active,
      );
      await app.meetingPage.toggleScreenShare();
      assert.equal(app.state.toolbarError, '');
      assert.equal(app.screenSharing, true);
      await shared;
    } finally {
      await app.close();
      await hostSession.stop();
    }
  });

  it('re-flows the tiles as people join and leave (2→2x1, 5→3x2, 3→2x2)', async () => {
    await register('hugo');
    const ui = await launch();
    await logIn(ui, 'hugo');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Crowd');
    await ui.click('createButton');
    await ui.joinNow();
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
    await ui.joinNow();
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
    await ui.joinNow();
    // Asked on the join screen, as information (not an error).
    const info = await ui.waitForWidget('lobbyInfo', (w) => w.text.includes('needs a password'));
    assert.equal((await ui.widget('lobbyError'))?.text, '');
    assert.equal((await ui.state()).page, 'join', `info: ${info.text}`);
    await ui.waitForWidget('joinPassword');
    await ui.setText('joinPassword', 'wrong-code');
    await ui.click('joinNowButton');
    await ui.waitForWidget('lobbyError', (w) => w.text.includes('Wrong meeting password'));
    const joined = waitFor<[{ username: string }]>(
      host,
      'memberJoined',
      (m) => m.username === 'gina',
    );
    await ui.setText('joinPassword', 'door-code');
    await ui.click('joinNowButton');
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
