/**
 * The desktop client's host controls (issue 14), a real window under Xvfb driven with real X input
 * (xdotool) against a real server and bots: the member list's context menu (right click on the
 * bot's row, the "Mute" entry picked with its mnemonic) mutes the bot, which is told and whose
 * audio the server drops; the host's waiting-room panel lets a waiting bot in; Alt+H raises the
 * hand, seen by a bot and at the top of the member list; the joiner's "waiting for the host" screen
 * and a denial. Screenshots: artifacts/desktop-host-menu.png, desktop-host-muted.png,
 * desktop-waiting-room.png, desktop-hand.png.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import { memberActions, memberRows } from '../../client/ui/pages/HostPage';
import { MAX_FRAME_SIZE, MediaFlag, MediaKind, MediaSource } from '../../common/constants';
import { encodeMediaFrame } from '../../common/media';
import type { MemberInfo } from '../../common/protocol';
import type { DropReason } from '../../server/RoomObserver';
import { collect, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi, hasXdotool, sleep, type UiState } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';

const PASSWORD = 'secret-pass-1';
const shot = (name: string): string => path.join(ARTIFACTS, `desktop-${name}.png`);

/** What the automation channel's `state` says about host controls. */
type HostState = UiState & {
  host: {
    role: string;
    hands: Array<{ memberId: number; at: number }>;
    waiting: Array<{ userId: number; username: string }>;
    waitingFor: string | null;
    reactions: Record<string, string>;
    menu: string[];
    notice: string;
  };
  roomOptions: { allowMultipleScreens: boolean; waitingRoom?: boolean; locked?: boolean };
};

let sequence = 0;
function audioFrame(): Buffer {
  return encodeMediaFrame(
    {
      kind: MediaKind.AUDIO,
      source: MediaSource.CAMERA,
      flags: MediaFlag.TALK_START,
      sequence: sequence++,
      timestamp: Date.now() % 0xffffffff,
      sender: 0,
    },
    randomBytes(60),
    MAX_FRAME_SIZE.audio,
  );
}

const member = (over: Partial<MemberInfo>): MemberInfo => ({
  memberId: 1,
  userId: 1,
  username: 'm',
  isHost: false,
  audio: true,
  video: false,
  effect: 'none',
  screen: false,
  joinedAt: 0,
  ...over,
});

describe('desktop host controls (helpers)', () => {
  it('offers only the actions the viewer may take, and orders raised hands by time', () => {
    const host = member({ memberId: 1, isHost: true, role: 'host' });
    const co = member({ memberId: 2, role: 'co-host' });
    const bob = member({ memberId: 3, video: true });
    assert.deepEqual(memberActions(host, bob, true), [
      'mute',
      'camera-off',
      'lower-hand',
      'remove',
      'remove-bar',
      'make-host',
      'make-co-host',
    ]);
    assert.deepEqual(memberActions(host, co, false).slice(-2), ['make-host', 'make-member']);
    assert.deepEqual(memberActions(co, host, false), [], 'a co-host cannot act on the host');
    assert.ok(
      !memberActions(co, bob, false).includes('make-host'),
      'only the host hands out roles',
    );
    assert.deepEqual(memberActions(bob, co, false), [], 'a member has no host actions');
    assert.deepEqual(memberActions(host, host, false), [], 'nothing on oneself');
    const rows = memberRows(
      [host, co, bob],
      [
        { memberId: 3, at: 10 },
        { memberId: 2, at: 20 },
      ],
      new Map([[1, 'clap']]),
      (m) => String(m.memberId),
    ).map((r) => r.text);
    assert.deepEqual(rows, ['✋ 3', '✋ 2  — co-host', '1  👏']);
  });
});

describe('desktop host controls (real window under Xvfb, real X input)', function () {
  this.timeout(90_000);
  let t: TestServer;
  let display: string;
  let ui: DesktopUi | null = null;
  const bots: MeetingClient[] = [];

  before(async function () {
    if (!hasXdotool()) {
      console.log('      SKIPPED: xdotool is not installed (apt-get install xdotool)');
      this.skip();
    }
    display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer('sqlite');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && ui)
      console.log(`      client stderr:\n${ui.stderr}`);
  });

  after(async () => {
    await ui?.quit();
    await Promise.all(bots.map((b) => b.close().catch(() => undefined)));
    await t?.stop();
  });

  const bot = async (username: string, media = false): Promise<MeetingClient> => {
    const c = await t.client({ media });
    await c.register(username, PASSWORD);
    bots.push(c);
    return c;
  };
  const state = (): Promise<HostState> => ui!.state() as Promise<HostState>;
  const waitState = (p: (s: HostState) => boolean, what: string, ms = 10_000) =>
    ui!.waitForState((s) => p(s as HostState), ms, what) as Promise<HostState>;
  const rowOf = async (name: string): Promise<number> => {
    const list = await ui!.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes(name)),
    );
    return (list.items ?? []).findIndex((i) => i.includes(name));
  };

  let meetingId = '';

  it('the host mutes a bot from the member list context menu: the bot is told and its audio dropped', async () => {
    const c = await t.client({ media: false });
    await c.register('hosty', PASSWORD);
    await c.close();
    ui = await DesktopUi.launch({ server: `127.0.0.1:${t.port}`, display });
    await ui.xFill('loginUser', 'hosty');
    await ui.xFill('loginPassword', PASSWORD);
    await ui.xClick('loginButton');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Host controls');
    await ui.click('createButton');
    await ui.joinNow();
    meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;

    const muteBot = await bot('mutebot', true);
    await muteBot.joinMeeting(meetingId);
    await muteBot.setMediaState(true, false);
    const botId = muteBot.session!.memberId;
    await waitState(
      (s) => s.members.some((m) => m.memberId === botId && m.audio),
      'the bot shown with its microphone on',
    );
    // The bot's audio reaches the relay before the mute.
    const drops = collect<DropReason>(t.server.room(meetingId)!.observer, 'dropped', 1);

    // Right click on the bot's row with the real pointer: the menu offers what a host may do.
    await ui.xActivate();
    const row = await rowOf('mutebot');
    await ui.xClickRow('memberList', row, 3);
    const menu = (await waitState((s) => s.host.menu.length > 0, 'the member menu')).host.menu;
    assert.deepEqual(menu, ['Mute', 'Remove', 'Remove and bar', 'Make host', 'Make co-host']);
    await sleep(300);
    await ui.screenshot(shot('host-menu'));

    // "Mute" by its mnemonic, a real key press into the open menu.
    const told = waitFor<[{ action: string; by: string }]>(muteBot, 'moderated');
    await ui.xKey('m');
    const [moderated] = await told;
    assert.deepEqual(moderated, { action: 'mute', by: 'hosty' });
    const s = await waitState(
      (x) => x.members.some((m) => m.memberId === botId && !m.audio),
      'the bot shown muted',
    );
    assert.equal(s.toolbarError, '');
    const deadline = Date.now() + 5000;
    while (muteBot.self?.audio !== false && Date.now() < deadline) await sleep(20);
    assert.equal(muteBot.self?.audio, false, 'the bot sees itself muted');
    const list = await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('mutebot') && i.includes('muted')),
    );
    assert.ok(
      list.items?.some((i) => /mutebot.*muted/.test(i)),
      list.text,
    );
    // Its audio is refused by the server while muted.
    for (let i = 0; i < 3; i++) muteBot.transport.send('audio', audioFrame());
    const until = Date.now() + 5000;
    while (drops.filter((r) => r === 'muted').length < 3 && Date.now() < until) await sleep(20);
    assert.equal(
      drops.filter((r) => r === 'muted').length,
      3,
      'three audio frames dropped as muted',
    );
    await sleep(200);
    await ui.grab(shot('host-muted'));
  });

  it('waiting room: the host turns it on, a joining bot shows in the panel, Admit lets it in', async () => {
    assert.ok(ui && meetingId, 'the first test opened the meeting');
    // Host ▸ Waiting room, with real input (the menu's W mnemonic).
    await ui.xClick('hostMenuButton');
    await sleep(300);
    await ui.xKey('w');
    await waitState((s) => s.roomOptions.waitingRoom === true, 'the waiting room on');

    const waiter = await bot('waitbot');
    const waiting = waitFor(waiter, 'waiting');
    const joined = waiter.joinMeeting(meetingId);
    await waiting;
    const uid = waiter.session!.userId;
    await ui.waitForWidget(`admit-${uid}`);
    const name = await ui.waitForWidget(`waiterName-${uid}`);
    assert.equal(name.text, 'waitbot');
    assert.match((await ui.waitForWidget('waitingHeading')).text, /Waiting room \(1\)/);
    await sleep(200);
    await ui.grab(shot('waiting-room'));
    let resolved = false;
    void joined.then(() => (resolved = true));
    await sleep(300);
    assert.equal(resolved, false, 'the bot is still waiting before Admit');
    await ui.xClick(`admit-${uid}`);
    const result = await joined;
    assert.equal(result.meeting.id, meetingId, "the bot's join resolves once admitted");
    await ui.waitForGone('waitingPanel');
    await rowOf('waitbot');
  });

  it('Alt+H raises the hand: a bot sees it, the member list puts it first; a reaction shows on the row', async () => {
    assert.ok(ui);
    const watcher = bots.find((b) => b.session?.username === 'waitbot')!;
    const selfId = (await state()).selfId!;
    // The bot raises its hand first, the desktop after it: the bot's row comes first.
    await watcher.host.raiseHand(true);
    await ui.waitForWidget('memberList', (w) => /^✋\s+waitbot/.test(w.items?.[0] ?? ''));
    const hand = waitFor<[{ memberId: number; raised: boolean }]>(
      watcher,
      'hand',
      (h) => h.memberId === selfId,
    );
    await ui.xActivate();
    await ui.xKey('alt+h');
    const [seen] = await hand;
    assert.equal(seen.raised, true, 'the bot receives the raised hand');
    const list = await ui.waitForWidget(
      'memberList',
      (w) => (w.items ?? []).filter((i) => i.startsWith('✋')).length === 2,
    );
    assert.ok(/^✋\s+waitbot/.test(list.items![0]!) && list.items![1]!.startsWith('✋'), list.text);
    assert.ok(list.items![1]!.includes('hosty'), 'hands in the order raised');
    await ui.waitForWidget('handButton', (w) => w.toolTip === 'Lower your hand (Alt+H)');
    await watcher.host.react('clap');
    await ui.waitForWidget('memberList', (w) => (w.items ?? []).some((i) => i.includes('👏')));
    // The reaction also shows on the sender's tile, after its name.
    await ui.waitForWidget(`tileName-${watcher.session!.memberId}`, (w) => w.text.includes('👏'));
    await sleep(200);
    await ui.grab(shot('hand'));
    // The toolbar with the hand and reactions buttons still fits a 1000 px window.
    await ui.xResize(1000, 700);
    await sleep(400);
    const leave = await ui.waitForWidget('leaveButton');
    assert.ok(leave.x + leave.width <= 1000, `the toolbar fits 1000 px: ${JSON.stringify(leave)}`);
    await ui.xResize(1200, 760);
    // Alt+H again lowers it.
    const lowered = waitFor<[{ memberId: number; raised: boolean }]>(
      watcher,
      'hand',
      (h) => h.memberId === selfId && !h.raised,
    );
    await ui.xKey('alt+h');
    await lowered;
  });

  it('"Make host" from the menu: the desktop becomes co-host (marked), and the new host\'s mute and camera-off are told and followed', async () => {
    assert.ok(ui);
    const newHost = bots.find((b) => b.session?.username === 'mutebot')!;
    const selfId = (await state()).selfId!;
    await ui.xClickRow('memberList', await rowOf('mutebot'), 3);
    await waitState((s) => s.host.menu.includes('Make host'), 'the member menu');
    await ui.xKey('h');
    await waitState((s) => s.host.role === 'co-host', 'the desktop a co-host');
    await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('hosty (you)') && i.includes('co-host')),
    );
    // The new host mutes the desktop: it is told.
    await newHost.host.mute(selfId);
    await ui.waitForWidget('meetingNotice', (w) => w.text === 'The host muted you');
    // And turns its camera off: the camera really stops, and Start video turns it on again.
    await waitState((s) => s.members.some((m) => m.memberId === selfId && m.video), 'camera on');
    await newHost.host.stopVideo(selfId);
    await ui.waitForWidget('meetingNotice', (w) => w.text === 'The host turned your camera off');
    await waitState(
      (s) => s.members.some((m) => m.memberId === selfId && !m.video),
      'the camera off',
    );
    await ui.xClick('cameraButton');
    await waitState(
      (s) => s.members.some((m) => m.memberId === selfId && m.video),
      'the camera on again after Start video',
    );
  });

  it('a joiner in a waiting room sees "Waiting for the host" and is told when turned away', async () => {
    assert.ok(ui);
    await ui.click('leaveButton');
    await ui.waitForWidget('createName');
    const other = await bot('otherhost');
    const { meeting } = await other.createMeeting('Guarded');
    await other.host.setWaitingRoom(true);
    const listed = waitFor<[{ waiting: Array<{ userId: number }> }]>(
      other,
      'waitingList',
      (w) => w.waiting.length === 1,
    );
    await ui.setText('joinId', meeting.id);
    await ui.click('joinButton');
    await ui.joinNow();
    const text = await ui.waitForWidget('waitingText');
    assert.equal(text.text, 'Waiting for the host to let you in');
    assert.ok((await ui.widget('waitingCancelButton'))?.visible);
    const [{ waiting }] = await listed;
    await other.host.deny(waiting[0]!.userId);
    await ui.waitForGone('waitingText');
    const error = await ui.waitForWidget('lobbyError', (w) => w.text.length > 0);
    assert.match(error.text, /ERR_WAITING_DENIED/);
  });
});
