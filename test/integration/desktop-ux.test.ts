/**
 * The desktop client as a new user meets it (issue 14), driven with real X input (xdotool) under
 * Xvfb: registration typed into whatever field has the focus, the connection timeout and Cancel,
 * remembered server and username, the @mention audience indicator, the join screen (mirrored
 * preview with the face effect, level meter, speaker test, start muted), and the meeting window
 * (speaker view and pin, tiles keeping the camera's shape, notices, copy invite, unread badge,
 * connection details, full screen, in-meeting device settings, the window size kept, keyboard
 * shortcuts). Screenshots go to artifacts/desktop-ux-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import type { MediaSession } from '../../client/media/MediaSession';
import { bmpFromBgr } from '../../client/ui/bmp';
import { fitTile, mentionedMembers, speakerViewMain } from '../../client/ui/format';
import { firstEmptyField } from '../../client/ui/pages/LoginPage';
import { SettingsStore } from '../../client/ui/settings';
import { CHAT_MAX_LENGTH, DESKTOP_TILE_ASPECT } from '../../common/constants';
import type { ChatMessage } from '../../common/protocol';
import { TEST_DATABASE_KINDS } from '../helpers/databases';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi, hasXdotool, sleep, type UiWidget } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';

const PASSWORD = 'secret-pass-1';
const shot = (name: string): string => path.join(ARTIFACTS, `desktop-ux-${name}.png`);

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

/**
 * Where the test pattern's frame-number stamp sits across a grabbed picture: the span of columns
 * (as fractions of the width) whose top band is mostly dark. The stamp is drawn at the left of the
 * camera's frame, so a mirrored view has it on the right.
 */
function stampSpan(file: string): { from: number; to: number } {
  type OpenCv = typeof import('../../client/media/native/opencv');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cv } = require('../../client/media/native/opencv') as OpenCv;
  const image = cv.imread(file);
  const { cols: width, rows: height } = image;
  const data = image.getData();
  const top = Math.floor(height * 0.04);
  const bottom = Math.floor(height * 0.12);
  const dark: number[] = [];
  for (let x = 0; x < width; x++) {
    let n = 0;
    for (let y = top; y < bottom; y++) {
      const i = (y * width + x) * 3;
      if (Math.max(data[i], data[i + 1], data[i + 2]) < 40) n++;
    }
    dark.push(n / (bottom - top));
  }
  const cols = dark.map((d, x) => (d > 0.25 ? x : -1)).filter((x) => x >= 0);
  assert.ok(cols.length > width * 0.2, `${file}: no frame stamp found`);
  return { from: cols[0] / width, to: cols[cols.length - 1] / width };
}

describe('desktop client UX helpers', () => {
  it('finds the first empty login field, @mentioned members, tile shapes and the speaker-view tile', () => {
    assert.equal(firstEmptyField({ server: 'h:1', username: '', password: 'x' }, false), 'user');
    assert.equal(
      firstEmptyField({ server: 'h:1', username: 'u', password: 'p', confirm: '' }, true),
      'confirm',
    );
    assert.equal(firstEmptyField({ server: 'h:1', username: 'u', password: 'p' }, false), null);
    assert.deepEqual(mentionedMembers('Hi all, @botbeta and @nobody, @botbeta', ['botbeta', 'x']), [
      'botbeta',
    ]);
    const tile = fitTile({ width: 400, height: 400 }, 4 / 3, { width: 8, height: 32 });
    assert.equal(tile.width, 400);
    assert.equal(Math.round(((tile.width - 8) / (tile.height - 32)) * 100) / 100, 1.33);
    assert.equal(speakerViewMain([1, 2, 3], 1, null, null), 2);
    assert.equal(speakerViewMain([1, 2, 3], 1, null, 3), 3);
    assert.equal(speakerViewMain([1, 2, 3], 1, 1, 3), 1, 'a pin wins');
    // A mirrored BMP reverses each row's pixels.
    const bgr = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const mirrored = bmpFromBgr(bgr, 2, 2, true).subarray(54);
    assert.deepEqual([...mirrored.subarray(0, 6)], [4, 5, 6, 1, 2, 3]);
  });

  it('remembers settings in a file and ignores a damaged one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-settings-'));
    const file = path.join(dir, 'desktop.json');
    const store = new SettingsStore(file);
    store.update({ server: 'h:1', username: 'ann' });
    store.rememberSize('meeting', { width: 1000, height: 700 });
    assert.deepEqual(new SettingsStore(file).data, {
      server: 'h:1',
      username: 'ann',
      windowSizes: { meeting: { width: 1000, height: 700 } },
    });
    fs.writeFileSync(file, '{"server": 5, "windowSizes": {"meeting": {"width": -1}}, "x": [');
    assert.deepEqual(new SettingsStore(file).data, {});
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('desktop client UX (real window under Xvfb, real X input)', function () {
  this.timeout(90_000);
  let t: TestServer;
  let display: string;
  let tmp: string;
  const uis: DesktopUi[] = [];
  const clients: MeetingClient[] = [];
  const sessions: MediaSession[] = [];

  before(async function () {
    if (!hasXdotool()) {
      console.log('      SKIPPED: xdotool is not installed (apt-get install xdotool)');
      this.skip();
    }
    display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-ux-'));
    t = await startTestServer('sqlite');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      for (const ui of uis) console.log(`      client stderr:\n${ui.stderr}`);
    for (const s of sessions.splice(0)) await s.stop().catch(() => undefined);
    await Promise.all(uis.splice(0).map((ui) => ui.quit()));
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  });

  after(async () => {
    await t?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const launch = async (
    env: Record<string, string> = {},
    server = `127.0.0.1:${t.port}`,
  ): Promise<DesktopUi> => {
    const ui = await DesktopUi.launch({ server, display, env });
    uis.push(ui);
    await ui.xActivate();
    return ui;
  };

  const register = async (username: string): Promise<void> => {
    const c = await t.client({ media: false });
    await c.register(username, PASSWORD);
    await c.close();
  };

  const bot = async (
    username: string,
    meetingId: string,
    media = false,
  ): Promise<MeetingClient> => {
    const c = await t.client({ media });
    await c.register(username, PASSWORD);
    await c.joinMeeting(meetingId);
    clients.push(c);
    return c;
  };

  /**
   * Presses "Join now" with the pointer. The window takes the join page's size as the page
   * appears, so the button is clicked once the layout settled, and again if the click fell on the
   * old geometry.
   */
  const xJoinNow = async (ui: DesktopUi): Promise<void> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await ui.waitForWidget('joinNowButton', (w) => w.enabled);
      await sleep(300);
      await ui.xClick('joinNowButton');
      try {
        await ui.waitForState((st) => st.page !== 'join', 4000, 'left the join screen');
        return;
      } catch {
        // the click missed (the window was still resizing): once more
      }
    }
    assert.fail('Join now did not enter the meeting');
  };

  /** Logs in with real typing and opens a new meeting through the join screen. */
  const openMeeting = async (
    ui: DesktopUi,
    username: string,
    name: string,
    beforeJoin?: () => Promise<void>,
  ): Promise<string> => {
    await ui.xFill('loginUser', username);
    await ui.xFill('loginPassword', PASSWORD);
    await ui.xKey('Return');
    await ui.waitForWidget('createName');
    await ui.xFill('createName', name);
    await ui.xKey('Return');
    await ui.waitForWidget('joinNowButton', (w) => w.enabled);
    await beforeJoin?.();
    await xJoinNow(ui);
    return (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
  };

  it('registration typed as a person would: the cursor follows the form; server and username remembered; no ALSA noise', async () => {
    const config = path.join(tmp, 'register.json');
    const ui = await launch({
      MEETING_UI_CONFIG: config,
      MEETING_UI_AUDIO: '',
      MEETING_UI_SPEAKER: '',
    });
    await ui.waitForWidget('loginButton', (w) => w.enabled);
    assert.equal(
      (await ui.focused())?.name,
      'loginUser',
      'the cursor starts in the first empty field',
    );

    // Username and password typed first, then "Register…": the cursor is in the new Confirm field.
    await ui.xType('newbie');
    await ui.xKey('Tab');
    await ui.xType(PASSWORD);
    await ui.xClick('registerButton');
    await ui.waitForWidget('loginConfirm');
    await ui.waitForWidget('loginConfirm', (w) => w.focused === true, 3000);
    const info = await ui.waitForWidget('loginInfo', (w) => w.text.length > 0);
    assert.equal(
      (await ui.widget('loginError'))?.text,
      '',
      `an instruction, not an error: ${info.text}`,
    );
    await ui.screenshot(shot('register-confirm'));
    // A typo in the confirmation: the error sends the cursor back to Confirm, with its text selected.
    await ui.xType('a-typo');
    await ui.xKey('Return');
    await ui.waitForWidget('loginError', (w) => w.text.includes('do not match'));
    await ui.waitForWidget('loginConfirm', (w) => w.focused === true, 3000);
    assert.equal((await ui.widget('loginPassword'))?.text, PASSWORD, 'the password is untouched');
    await ui.xType(PASSWORD);
    assert.equal((await ui.widget('loginConfirm'))?.text, PASSWORD, 'typing replaced the typo');
    await ui.xKey('Return');
    await ui.waitForWidget('createName');

    // Logged out with the username cleared: the error sends the cursor to Username, not Password.
    await ui.xClick('logoutButton');
    await ui.waitForWidget('loginUser', (w) => w.text === 'newbie');
    await ui.xFill('loginUser', 'x');
    await ui.xKey('BackSpace');
    await ui.xFill('loginPassword', PASSWORD);
    await ui.xClick('loginButton');
    await ui.waitForWidget('loginError', (w) => w.text === 'Enter a username');
    await ui.waitForWidget('loginUser', (w) => w.focused === true, 3000);
    await ui.xType('newbie');
    assert.equal((await ui.widget('loginUser'))?.text, 'newbie');
    await ui.xKey('Return');
    await ui.waitForWidget('createName');

    // Sound libraries stayed quiet; a machine without sound says so in one line.
    const noise = ui.rawStderr.split('\n').filter((l) => l && !l.includes('no audio device'));
    assert.deepEqual(noise, [], 'nothing else on stderr (no ALSA, JACK or Qt lines)');
    const noDevice = ui.rawStderr.split('\n').filter((l) => l.includes('no audio device'));
    const lists = await ui.widget('micSelect');
    if ((lists?.items ?? []).includes('Default input')) assert.equal(noDevice.length, 0);
    else
      assert.equal(noDevice.length, 1, `one line saying there is no audio device: ${ui.rawStderr}`);
    await ui.quit();

    // Next launch without --server: the address and username are remembered; the cursor waits
    // in Password.
    const again = await launch({ MEETING_UI_CONFIG: config }, '');
    const server = await again.waitForWidget('loginServer');
    assert.equal(server.text, `127.0.0.1:${t.port}`);
    assert.equal((await again.widget('loginUser'))?.text, 'newbie');
    await again.waitForWidget('loginPassword', (w) => w.focused === true, 3000);
    await again.screenshot(shot('login-remembered'));
    await again.xType(PASSWORD);
    await again.xKey('Return');
    await again.waitForWidget('createName');
  });

  it('gives up a login that hangs: Cancel at once, a timeout after about 10 s', async () => {
    // A server that accepts connections and never answers.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await register('patient');
      const ui = await launch({}, `127.0.0.1:${port}`);
      await ui.xFill('loginUser', 'patient');
      await ui.xFill('loginPassword', PASSWORD);
      await ui.xClick('loginButton');
      await ui.waitForWidget('cancelButton', (w) => w.enabled);
      const busy = await ui.waitForWidget('loginButton', (w) => !w.enabled);
      assert.equal(busy.text, 'Connecting…');
      await ui.screenshot(shot('connecting'));
      const cancelled = Date.now();
      await ui.xClick('cancelButton');
      await ui.waitForWidget('loginButton', (w) => w.enabled && w.text === 'Log in', 2000);
      console.log(`      Cancel to usable form: ${Date.now() - cancelled} ms`);
      assert.equal((await ui.widget('loginInfo'))?.text, 'Cancelled');

      const started = Date.now();
      await ui.xClick('loginButton');
      // Whichever gives up first: the client core (its TLS handshake deadline) or the window's own
      // 10 s limit on the whole attempt.
      const error = await ui.waitForWidget(
        'loginError',
        (w) => /No answer|ERR_CONNECT_FAILED|ERR_TIMEOUT/.test(w.text),
        15_000,
      );
      const waited = Date.now() - started;
      console.log(`      gave up after ${waited} ms: "${error.text}"`);
      assert.ok(waited < 13_000, `gave up after ${waited} ms`);
      assert.ok((await ui.widget('loginButton'))?.enabled);
      await ui.waitForWidget('loginServer', (w) => w.focused === true, 3000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('@mention audience indicator: "only @name" while mentioning, send to everyone anyway, each line shows its audience', async () => {
    await register('alice');
    const ui = await launch();
    const meetingId = await openMeeting(ui, 'alice', 'Mentions');
    const alpha = await bot('botalpha', meetingId);
    const beta = await bot('botbeta', meetingId);
    await ui.waitForWidget('chatTarget', (w) => (w.items ?? []).includes('Only botbeta'));
    assert.equal((await ui.widget('chatAudience'))?.text, 'To: everyone');

    await ui.xClick('chatInput');
    await ui.xType('Hi all, @botbeta how are you');
    await ui.waitForWidget('chatAudience', (w) => w.text === 'To: only @botbeta');
    await ui.waitForWidget('chatSendAll', (w) => w.enabled);
    assert.equal((await ui.widget('chatCounter'))?.text, `28 / ${CHAT_MAX_LENGTH}`);
    await ui.screenshot(shot('mention-indicator'));
    await ui.grab(shot('mention-indicator-window'));

    // "Send to everyone" overrides the mention: both bots get it.
    const text1 = 'Hi all, @botbeta how are you';
    const atAlpha = waitFor<[ChatMessage]>(alpha, 'chat', (m) => m.text === text1);
    const atBeta = waitFor<[ChatMessage]>(beta, 'chat', (m) => m.text === text1);
    await ui.xClick('chatSendAll');
    const [[m1]] = await Promise.all([atAlpha, atBeta]);
    assert.equal(m1.mentions, null);
    await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.endsWith(`[everyone] you: ${text1}`)),
    );
    await ui.waitForWidget('chatAudience', (w) => w.text === 'To: everyone');
    await ui.waitForGone('chatSendAll');

    // Return sends as the indicator says: to botbeta only.
    const alphaGot: string[] = [];
    alpha.on('chat', (m) => alphaGot.push(m.text));
    const atBeta2 = waitFor<[ChatMessage]>(beta, 'chat', (m) => m.text === '@botbeta just you');
    await ui.xClick('chatInput');
    await ui.xType('@botbeta just you');
    await ui.waitForWidget('chatAudience', (w) => w.text === 'To: only @botbeta');
    await ui.xKey('Return');
    assert.deepEqual((await atBeta2)[0].mentions, ['botbeta']);
    await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.endsWith('[only @botbeta] you: @botbeta just you')),
    );

    // A private message through the selector; the selector returns to Everyone after it.
    await ui.xChoose('chatTarget', 1);
    await ui.waitForWidget('chatAudience', (w) => w.text === 'To: only botalpha (private)');
    const privately = waitFor<[ChatMessage]>(alpha, 'chat', (m) => m.text === 'secret');
    await ui.xClick('chatInput');
    await ui.xType('secret');
    await ui.xKey('Return');
    assert.equal((await privately)[0].to, 'botalpha');
    await ui.waitForWidget('chatTarget', (w) => w.current === 0 && w.text === 'Everyone');
    await ui.waitForWidget('chatAudience', (w) => w.text === 'To: everyone');
    await ui.waitForWidget('chatLog', (w) =>
      (w.items ?? []).some((i) => i.endsWith('[private] you → botalpha: secret')),
    );
    assert.deepEqual(alphaGot, ['secret'], 'botalpha never got the mention for botbeta');

    // Over-long text: the input stops at the limit, the counter says so, no raw validation text.
    await ui.setText('chatInput', 'x'.repeat(CHAT_MAX_LENGTH + 500));
    await ui.waitForWidget(
      'chatCounter',
      (w) => w.text === `${CHAT_MAX_LENGTH} / ${CHAT_MAX_LENGTH}`,
    );
    const long = waitFor<[ChatMessage]>(alpha, 'chat', (m) => m.text.length === CHAT_MAX_LENGTH);
    await ui.xClick('chatSend');
    await long;
    assert.equal((await ui.widget('meetingError'))?.text, '');
    const input = await ui.widget('chatInput');
    assert.ok((input?.width ?? 0) >= 280, `the input is wide enough: ${input?.width}`);
    await ui.screenshot(shot('chat'));
  });

  it('join screen: mirrored preview with the face effect, microphone level meter, speaker test tone, start muted; Alt+A/Alt+V in the meeting', async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    await register('jules');
    const speakerWav = path.join(tmp, 'speaker.wav');
    const ui = await launch({
      MEETING_UI_VIDEO: 'testpattern',
      MEETING_UI_AUDIO: 'tone',
      MEETING_UI_SPEAKER: speakerWav,
    });
    let meetingId = '';
    meetingId = await openMeeting(ui, 'jules', 'Join screen', async () => {
      // The preview is painted and the meter moves with the test tone.
      await ui.waitForState(
        (s) => (s.renderer.perMember['-1'] ?? 0) >= 5,
        10_000,
        'five preview frames painted',
      );
      const meter = await ui.waitForWidget('micLevel', (w) => Number(w.text) > 30, 5000);
      console.log(`      level meter with the test tone: ${meter.text} / 100`);
      // Mirrored: the camera's frame stamp (drawn at its left) shows on the right.
      await ui.grab(shot('preview-plain'), 'previewVideo');
      const span = stampSpan(shot('preview-plain'));
      assert.ok(span.from > 0.15 && span.to > 0.9, `stamp at ${JSON.stringify(span)}: mirrored`);
      // The face effect is previewed.
      await ui.xChoose('joinEffectSelect', 2);
      await ui.waitForWidget('joinEffectSelect', (w) => w.text === 'Pixelate');
      // The speaker test plays a tone on the chosen speaker (a WAV file here).
      // (A file plays at once; a device takes the tone's second, the button saying so.)
      await ui.xClick('testSpeakerButton');
      const deadline = Date.now() + 5000;
      while (!fs.existsSync(speakerWav) && Date.now() < deadline) await sleep(100);
      await ui.waitForWidget(
        'testSpeakerButton',
        (w) => w.enabled && w.text === 'Test speaker',
        5000,
      );
      const wav = fs.readFileSync(speakerWav);
      const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) >> 1);
      let crossings = 0;
      for (let i = 1; i < pcm.length; i++) if (pcm[i - 1] < 0 && pcm[i] >= 0) crossings++;
      const seconds = pcm.length / 48_000;
      console.log(
        `      speaker test: ${seconds.toFixed(2)} s written, ${Math.round(crossings / seconds)} Hz`,
      );
      assert.ok(seconds >= 0.9, `${seconds} s of tone`);
      assert.ok(Math.abs(crossings / seconds - 660) < 20, `a 660 Hz tone (${crossings / seconds})`);
      await ui.xClick('startMutedBox');
      await ui.waitForWidget('startMutedBox', (w) => w.checked === true);
      await ui.screenshot(shot('join-screen'));
    });
    assert.ok(meetingId);
    // The room is told once media started: microphone off, camera on.
    const state = await ui.waitForState(
      (s) => s.media && s.members.some((m) => m.memberId === s.selfId && m.video && !m.audio),
      10_000,
      'media started with the microphone off',
    );
    assert.equal(state.effect, 'pixelate', 'the effect chosen on the join screen');
    await ui.waitForWidget('micButton', (w) => w.text === 'Unmute');

    // A bot sees it muted; Alt+A unmutes (the tone reaches the room), Alt+V stops the camera.
    const b = await bot('joinbot', meetingId);
    const info = b.members.find((m) => m.username === 'jules');
    assert.equal(info?.audio, false);
    const unmuted = waitFor<[{ memberId: number; audio: boolean }]>(
      b,
      'mediaState',
      (m) => m.memberId === state.selfId && m.audio,
    );
    await ui.xClick('chatInput');
    await ui.xKey('alt+a');
    await unmuted;
    await ui.waitForWidget('micButton', (w) => w.text === 'Mute');
    const camOff = waitFor<[{ memberId: number; video: boolean }]>(
      b,
      'mediaState',
      (m) => m.memberId === state.selfId && !m.video,
    );
    await ui.xKey('alt+v');
    await camOff;
    await ui.waitForWidget('micButton', (w) => w.toolTip.includes('Alt+A'));
  });

  it('meeting window: speaker view and pin, tiles keep the camera shape, notices, copy invite, unread badge, details, full screen, settings, size kept', async function () {
    const media = loadMediaSession();
    if (typeof media === 'string') {
      console.log(`      SKIPPED: ${media}`);
      this.skip();
    }
    const { MediaSession } = media as Exclude<typeof media, string>;
    await register('maya');
    const config = path.join(tmp, 'window.json');
    const ui = await launch({ MEETING_UI_CONFIG: config, MEETING_UI_VIDEO: 'testpattern' });
    const meetingId = await openMeeting(ui, 'maya', 'Window');
    const bots: MeetingClient[] = [];
    for (const name of ['vidone', 'vidtwo']) {
      const b = await bot(name, meetingId, true);
      const session = new MediaSession(b, {
        video: 'testpattern',
        audio: 'none',
        speaker: 'none',
        fps: 10,
      });
      sessions.push(session);
      await session.start();
      await b.setMediaState(false, true);
      bots.push(b);
      await ui.waitForWidget('meetingNotice', (w) => w.text === `${name} joined`);
    }
    const [one, two] = bots.map((b) => b.session?.memberId as number) as [number, number];
    const selfId = (await ui.state()).selfId as number;
    await ui.waitForState(
      (s) =>
        (s.renderer.perMember[String(one)] ?? 0) >= 3 &&
        (s.renderer.perMember[String(two)] ?? 0) >= 3,
      15_000,
      'frames of both bots',
    );

    // Gallery: every picture area has the camera's 4:3 shape.
    const labels = (await ui.tree()).filter((w) => /^video-\d+$/.test(w.name) && w.visible);
    assert.equal(labels.length, 3);
    for (const l of labels)
      assert.ok(
        Math.abs(l.width / l.height - DESKTOP_TILE_ASPECT) < 0.03,
        `${l.name} is ${l.width}x${l.height}`,
      );
    await ui.screenshot(shot('gallery'));

    // Speaker view, then pin the second bot: its tile is large, the others in a strip.
    await ui.xClick('viewButton');
    await ui.waitForWidget('speakerRow');
    await ui.xClick(`pin-${two}`);
    const large = (tree: UiWidget[]): boolean => {
      const big = tree.find((w) => w.name === `tile-${two}` && w.visible);
      const small = tree.filter((w) => /^tile-\d+$/.test(w.name) && w.visible && w !== big);
      return (
        big !== undefined &&
        small.length === 2 &&
        small.every((s) => big.width > 2 * s.width && s.y > big.y + big.height / 2)
      );
    };
    let tree: UiWidget[] = [];
    const until = Date.now() + 10_000;
    while (Date.now() < until && !large((tree = await ui.tree()))) await sleep(100);
    assert.ok(
      large(tree),
      tree
        .filter((w) => /^tile-\d+$/.test(w.name))
        .map((w) => `${w.name}@${w.x},${w.y} ${w.width}x${w.height}`)
        .join('; '),
    );
    await ui.waitForWidget(`pin-${two}`, (w) => w.text === 'Unpin');
    await ui.waitForState(
      (s) => (s.renderer.perMember[String(two)] ?? 0) > 10,
      10_000,
      'the pinned tile painted',
    );
    await sleep(300);
    await ui.screenshot(shot('speaker-view-pinned'));
    const bigLabel = await ui.waitForWidget(`video-${two}`);
    assert.ok(Math.abs(bigLabel.width / bigLabel.height - DESKTOP_TILE_ASPECT) < 0.03);

    // Copy invite: the meeting id is on the clipboard, a notice says so (not in error red).
    await ui.xClick('copyInviteButton');
    await ui.waitForWidget('meetingNotice', (w) => w.text.startsWith('Invite copied'));
    const clip = await ui.send<{ text: string }>('clipboard');
    assert.ok(clip.text.includes(meetingId), clip.text);

    // Developer figures only behind "Connection details".
    const status = await ui.waitForWidget('statusBar');
    assert.ok(!status.text.includes('painted'), status.text);
    await ui.xClick('connectionDetailsButton');
    await ui.waitForWidget(
      'statusBar',
      (w) => w.text.includes('painted') && w.text.includes('RTT'),
    );
    await ui.xClick('connectionDetailsButton');

    // Chat hidden: a message shows as a badge on the Chat button; showing the chat clears it.
    await ui.xClick('chatButton');
    await ui.waitForGone('chatInput');
    await bots[0].say('ping while hidden');
    await ui.waitForWidget('chatButton', (w) => w.text === 'Chat (1)');
    await ui.screenshot(shot('unread-badge'));
    await ui.xClick('chatButton');
    await ui.waitForWidget('chatInput');
    await ui.waitForWidget('chatButton', (w) => w.text === 'Chat');

    // Leave notice.
    await bots[0].leaveMeeting();
    await ui.waitForWidget('meetingNotice', (w) => w.text === 'vidone left');

    // In-meeting settings: switching the camera to None turns it off for the room.
    const off = waitFor<[{ memberId: number; video: boolean }]>(
      bots[1],
      'mediaState',
      (m) => m.memberId === selfId && !m.video,
    );
    await ui.xClick('settingsButton');
    const cams = await ui.waitForWidget('cameraSelect');
    await ui.xChoose('cameraSelect', (cams.items ?? []).indexOf('None'));
    await off;
    await ui.waitForWidget(`video-${selfId}`, (w) => w.text === 'Camera off');
    await ui.screenshot(shot('settings'));
    await ui.xClick('settingsButton');

    // Full screen and back (F11). Xvfb has no window manager to resize a full-screen window, so
    // the window's state is checked, not its size.
    await ui.xClick('fullScreenButton');
    await ui.waitForState((s) => s.fullScreen === true, 5000, 'full screen');
    await ui.waitForWidget('fullScreenButton', (w) => w.toolTip.startsWith('Leave full screen'));
    await ui.xKey('F11');
    await ui.waitForState((s) => s.fullScreen === false, 5000, 'full screen left');

    // The size the user gives the window is kept across page changes (and remembered).
    await ui.xResize(1000, 700);
    await sleep(600);
    const leave = await ui.waitForWidget('leaveButton');
    assert.ok(leave.x + leave.width <= 1000, `the toolbar fits 1000 px: ${JSON.stringify(leave)}`);
    await ui.xClick('leaveButton');
    await ui.waitForWidget('createName');
    await ui.waitForWidget('pageRoot', (w) => w.width === 860);
    await ui.xFill('createName', 'Window again');
    await ui.xKey('Return');
    await xJoinNow(ui);
    await ui.waitForWidget('meetingId', (w) => w.text.length > 0);
    const root = await ui.waitForWidget('pageRoot', (w) => w.width === 1000 && w.height === 700);
    console.log(`      meeting window kept at ${root.width}x${root.height}`);
    const saved = JSON.parse(fs.readFileSync(config, 'utf8')) as {
      windowSizes: Record<string, { width: number }>;
    };
    assert.equal(saved.windowSizes.meeting?.width, 1000);
  });
});

for (const kind of TEST_DATABASE_KINDS) {
  describe(`media session behind the desktop's join screen and settings (${kind})`, function () {
    this.timeout(30_000);
    let t: TestServer;
    let tmp: string;
    before(async () => {
      t = await startTestServer(kind);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-ux-media-'));
    });
    after(async () => {
      await t?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('starts muted (nothing sent until unmuted), switches the camera to none, mixes join cues into playout', async function () {
      const media = loadMediaSession();
      if (typeof media === 'string') {
        console.log(`      SKIPPED: ${media}`);
        this.skip();
      }
      const { MediaSession } = media as Exclude<typeof media, string>;
      const a = await t.client();
      await a.register(`ux-a-${kind}`, PASSWORD);
      const { meeting } = await a.createMeeting('Media choices');
      const b = await t.client();
      await b.register(`ux-b-${kind}`, PASSWORD);
      await b.joinMeeting(meeting.id);
      const wav = path.join(tmp, `cue-${kind}.wav`);
      const sender = new MediaSession(a, {
        video: 'testpattern',
        audio: 'tone',
        speaker: wav,
        startMuted: true,
        fps: 10,
      });
      const receiver = new MediaSession(b, { speaker: 'none' });
      try {
        await receiver.start();
        await sender.start();
        assert.equal(sender.microphoneOn, false);
        assert.equal(sender.cameraOn, true);
        await sleep(600);
        assert.equal(sender.stats().sent.audio, 0, 'a muted start sends no audio');
        assert.ok(sender.stats().sent.video > 0);
        await sender.setMicrophone(true);
        await sleep(400);
        assert.ok(sender.stats().sent.audio > 0, 'unmuted: the tone is sent');

        // The camera switched to none: capture stops and the room is told.
        const off = waitFor<[{ memberId: number; video: boolean }]>(
          b,
          'mediaState',
          (m) => m.memberId === a.session?.memberId && !m.video,
        );
        await sender.switchDevices({ video: 'none' });
        await off;
        assert.equal(sender.cameraOn, false);
        const sent = sender.stats().sent.video;
        await sleep(300);
        assert.equal(sender.stats().sent.video, sent, 'no camera frames after the switch');

        // A join cue is mixed into what the speaker plays.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { cueFrames } = require('../../client/media/playout/cues') as {
          cueFrames: (kind: 'join' | 'leave') => Int16Array[];
        };
        sender.playCue(cueFrames('join'));
        await sleep(500);
      } finally {
        await sender.stop();
        await receiver.stop();
      }
      const data = fs.readFileSync(wav);
      const pcm = new Int16Array(data.buffer, data.byteOffset + 44, (data.length - 44) >> 1);
      let peak = 0;
      for (const v of pcm) peak = Math.max(peak, Math.abs(v));
      console.log(`      cue in the speaker's recording: ${pcm.length} samples, peak ${peak}`);
      assert.ok(peak > 3000, `the cue was played (peak ${peak})`);
    });
  });
}
