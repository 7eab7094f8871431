/**
 * Host controls, the waiting room, raised hands and reactions, end to end: a real server on port 0,
 * real clients, SQLite and MariaDB. Every host action is checked with its refusal for a member
 * without the power; enforcement is observed where it happens (the relay's drops, the joins refused).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAX_FRAME_SIZE, MediaFlag, MediaKind, MediaSource } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import { encodeMediaFrame, decodeMediaFrame } from '../../common/media';
import { MeetingClient } from '../../client/MeetingClient';
import { TcpProxy } from '../helpers/proxy';
import type { DropReason } from '../../server/RoomObserver';
import { TEST_DATABASE_KINDS } from '../helpers/databases';
import { collect, sleep, startTestServer, waitFor, type TestServer } from '../helpers/server';

const rejectsWith = (p: Promise<unknown>, code: string): Promise<void> =>
  assert.rejects(p, (e: unknown) => e instanceof MeetingError && e.code === code);

let sequence = 0;
/** One media frame of `kind` from `source` (the sender id is stamped by the server). */
function frame(kind: 'audio' | 'video', source: number = MediaSource.CAMERA): Buffer {
  return encodeMediaFrame(
    {
      kind: kind === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO,
      source,
      flags: kind === 'audio' ? MediaFlag.TALK_START : MediaFlag.KEYFRAME,
      sender: 0,
      sequence: ++sequence,
      timestamp: sequence * 1000,
    },
    randomBytes(kind === 'audio' ? 60 : 2000),
    MAX_FRAME_SIZE[kind],
  );
}

/** Media frames a client receives: link, sender and source. */
function receive(client: MeetingClient): Array<{ link: string; sender: number; source: number }> {
  const seen: Array<{ link: string; sender: number; source: number }> = [];
  client.transport.on('frame', (f, link) => {
    const { header } = decodeMediaFrame(f, MAX_FRAME_SIZE[link]);
    seen.push({ link, sender: header.sender, source: header.source });
  });
  return seen;
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

for (const kind of TEST_DATABASE_KINDS) {
  describe(`host controls on ${kind}`, function () {
    this.timeout(30_000);
    let t: TestServer;
    beforeEach(async () => {
      t = await startTestServer(kind);
    });
    afterEach(async () => {
      await t.stop();
    });

    async function user(name: string, media = false): Promise<MeetingClient> {
      const c = await t.client({ media });
      await c.register(name, 'password1');
      return c;
    }

    /** A meeting hosted by the first name, with the others joined; clients in the same order. */
    async function meeting(
      names: string[],
      media = false,
    ): Promise<{ id: string; clients: MeetingClient[] }> {
      const clients = await Promise.all(names.map((n) => user(n, media)));
      const host = clients[0]!;
      const { meeting: m } = await host.createMeeting('Host controls');
      for (const c of clients.slice(1)) {
        const seen = waitFor(host, 'memberJoined', (j: { userId: number }) => {
          return j.userId === c.session!.userId;
        });
        await c.joinMeeting(m.id);
        await seen;
      }
      return { id: m.id, clients };
    }

    const memberId = (c: MeetingClient): number => c.session!.memberId;

    it('refuses every host action to a plain member with ERR_NOT_HOST, and changes nothing', async () => {
      const {
        id,
        clients: [alice, bob, carol],
      } = await meeting(['alice', 'bob', 'carol']);
      const c = memberId(carol!);
      const a = memberId(alice!);
      const refused: Array<[string, Promise<unknown>]> = [
        ['mute', bob!.host.mute(c)],
        ['ask to unmute', bob!.host.askUnmute(c)],
        ['camera off', bob!.host.stopVideo(c)],
        ['stop screen share', bob!.host.stopScreenShare(c)],
        ['remove', bob!.host.remove(c)],
        ['remove and bar', bob!.host.remove(c, true)],
        ['lock', bob!.host.setLocked(true)],
        ['waiting room', bob!.host.setWaitingRoom(true)],
        ['several screens', bob!.setRoomOptions({ allowMultipleScreens: true })],
        ['password', bob!.host.setPassword('secret123')],
        ['clear password', bob!.host.setPassword(null)],
        ['end for everyone', bob!.host.endMeeting()],
        ['make host', bob!.host.setRole(c, 'host')],
        ['make co-host', bob!.host.setRole(c, 'co-host')],
        ['admit all', bob!.host.admit('all')],
        ['admit one', bob!.host.admit(carol!.session!.userId)],
        ['deny', bob!.host.deny(carol!.session!.userId)],
        ['list waiting', bob!.host.listWaiting()],
        ['lower hand', bob!.host.lowerHand(a)],
      ];
      for (const [what, p] of refused) {
        await assert.rejects(
          p,
          (e: unknown) => e instanceof MeetingError && e.code === ErrorCode.NOT_HOST,
          what,
        );
      }
      const room = t.server.room(id)!;
      assert.equal(room.size, 3);
      assert.deepEqual(room.options, {
        allowMultipleScreens: false,
        locked: false,
        waitingRoom: false,
      });
      assert.equal(room.host?.userId, alice!.session!.userId);
      assert.equal((await t.server.db.meetings.findById(id))!.passwordHash, null);
      // The host's own targets: nobody, and itself where that makes no sense.
      await rejectsWith(alice!.host.mute(999_999), ErrorCode.MEMBER_NOT_FOUND);
      await rejectsWith(alice!.host.remove(a), ErrorCode.BAD_TARGET);
      await rejectsWith(alice!.host.setRole(a, 'member'), ErrorCode.BAD_TARGET);
      await rejectsWith(alice!.host.admit(424242), ErrorCode.MEMBER_NOT_FOUND);
    });

    it('mutes a member: it is told, the room sees it muted, and its audio is dropped until it unmutes itself', async () => {
      const {
        id,
        clients: [alice, bob],
      } = await meeting(['alice', 'bob'], true);
      const atAlice = receive(alice!);
      const drops = collect<DropReason>(t.server.room(id)!.observer, 'dropped', 1);
      const b = memberId(bob!);
      const fromBob = (link: string): number =>
        atAlice.filter((f) => f.sender === b && f.link === link).length;

      bob!.transport.send('audio', frame('audio'));
      await until(() => fromBob('audio') === 1, 'the first audio frame before the mute');

      const told = waitFor<[{ action: string; by: string }]>(bob!, 'moderated');
      const seen = waitFor<[{ memberId: number; audio: boolean }]>(
        alice!,
        'mediaState',
        (m) => m.memberId === b && !m.audio,
      );
      await alice!.host.mute(b);
      assert.deepEqual((await told)[0], { action: 'mute', by: 'alice' });
      await seen;
      assert.equal(alice!.members.find((m) => m.memberId === b)!.audio, false);
      await until(() => bob!.self?.audio === false, 'bob to see himself muted');

      for (let i = 0; i < 5; i++) bob!.transport.send('audio', frame('audio'));
      await until(() => drops.filter((r) => r === 'muted').length === 5, 'five muted drops');
      // Video still flows: only the microphone was muted.
      bob!.transport.send('video', frame('video'));
      await until(() => fromBob('video') === 1, 'bob video');
      assert.equal(fromBob('audio'), 1, 'no audio relayed while muted');

      // Asking to unmute only tells the member: its audio is still dropped.
      const asked = waitFor<[{ action: string }]>(bob!, 'moderated');
      await alice!.host.askUnmute(b);
      assert.equal((await asked)[0].action, 'ask-unmute');
      bob!.transport.send('audio', frame('audio'));
      await until(() => drops.filter((r) => r === 'muted').length === 6, 'a sixth muted drop');

      // The member unmutes itself: relayed again.
      await bob!.setMediaState(true, true);
      bob!.transport.send('audio', frame('audio'));
      await until(() => fromBob('audio') === 2, 'audio after unmuting');
    });

    it('a host mute survives a server restart: the resumed member is still muted and its audio dropped', async () => {
      const {
        id,
        clients: [alice, bob],
      } = await meeting(['alice', 'bob'], true);
      const b = memberId(bob!);
      await alice!.host.mute(b);
      await until(() => bob!.self?.audio === false, 'bob to see himself muted');
      await sleep(200);
      await t.restart();
      await Promise.all([alice!, bob!].map((c) => waitFor(c, 'reconnected', () => true, 10_000)));
      assert.equal(alice!.members.find((m) => m.memberId === b)?.audio, false, 'still shown muted');
      const drops = collect<DropReason>(t.server.room(id)!.observer, 'dropped', 1);
      const atAlice = receive(alice!);
      for (let i = 0; i < 3; i++) bob!.transport.send('audio', frame('audio'));
      await until(() => drops.filter((r) => r === 'muted').length === 3, 'three muted drops');
      assert.equal(atAlice.filter((f) => f.sender === b).length, 0, 'nothing relayed');
      await bob!.setMediaState(true, true);
      bob!.transport.send('audio', frame('audio'));
      await until(
        () => atAlice.some((f) => f.sender === b && f.link === 'audio'),
        'audio after unmuting',
      );
    });

    it("turns a member's camera off (camera frames dropped, the screen not) and stops its screen share", async () => {
      const {
        id,
        clients: [alice, bob],
      } = await meeting(['alice', 'bob'], true);
      const atAlice = receive(alice!);
      const drops = collect<DropReason>(t.server.room(id)!.observer, 'dropped', 1);
      const b = memberId(bob!);
      const count = (source: number): number =>
        atAlice.filter((f) => f.sender === b && f.link === 'video' && f.source === source).length;
      await bob!.startScreenShare();

      const told = waitFor<[{ action: string }]>(bob!, 'moderated');
      await alice!.host.stopVideo(b);
      assert.equal((await told)[0].action, 'camera-off');
      assert.equal(alice!.members.find((m) => m.memberId === b)!.video, false);
      bob!.transport.send('video', frame('video', MediaSource.CAMERA));
      bob!.transport.send('video', frame('video', MediaSource.SCREEN));
      await until(() => count(MediaSource.SCREEN) === 1, 'the screen frame');
      await until(() => drops.includes('muted'), 'the camera frame dropped as muted');
      assert.equal(count(MediaSource.CAMERA), 0);

      const stopped = waitFor<[{ action: string }]>(bob!, 'moderated');
      const ended = waitFor<[{ memberId: number; active: boolean }]>(
        alice!,
        'screenShare',
        (s) => s.memberId === b && !s.active,
      );
      await alice!.host.stopScreenShare(b);
      assert.equal((await stopped)[0].action, 'stop-screen');
      await ended;
      bob!.transport.send('video', frame('video', MediaSource.SCREEN));
      await until(() => drops.includes('not-granted'), 'the screen frame refused');

      // Turning the camera on again is the member's own choice.
      await bob!.setMediaState(true, true);
      bob!.transport.send('video', frame('video', MediaSource.CAMERA));
      await until(() => count(MediaSource.CAMERA) === 1, 'the camera after turning it on');
    });

    it('removes a member; a barred one cannot re-enter, even after the meeting ends and the server restarts', async () => {
      const {
        id,
        clients: [alice, bob, carol],
      } = await meeting(['alice', 'bob', 'carol']);
      const b = memberId(bob!);
      const told = waitFor<[{ by: string; barred: boolean }]>(bob!, 'removed');
      const left = waitFor(bob!, 'left');
      const seen = waitFor<[{ memberId: number; reason: string }]>(carol!, 'memberLeft');
      await alice!.host.remove(b);
      assert.deepEqual((await told)[0], { by: 'alice', barred: false });
      await left;
      assert.equal(bob!.meeting, null);
      assert.deepEqual((await seen)[0].reason, 'removed');
      assert.equal(t.server.room(id)!.size, 2);

      // Not barred: it may come back.
      await bob!.joinMeeting(id);
      const again = memberId(bob!);
      const barred = waitFor<[{ barred: boolean }]>(bob!, 'removed');
      await alice!.host.remove(again, true);
      assert.equal((await barred)[0].barred, true);
      await rejectsWith(bob!.joinMeeting(id), ErrorCode.BARRED);
      assert.equal(await t.server.db.meetings.isBarred(id, bob!.session!.userId), true);

      // The bar is stored: it outlives the room and the server.
      await alice!.leaveMeeting();
      await carol!.leaveMeeting();
      await t.restart();
      const bob2 = await t.client({ media: false });
      await bob2.login('bob', 'password1');
      await rejectsWith(bob2.joinMeeting(id), ErrorCode.BARRED);
      const dave = await user('dave');
      await dave.joinMeeting(id);
    });

    it('a locked meeting refuses new joins (a member who was in gets back in); unlocking opens it', async () => {
      const {
        id,
        clients: [alice, bob],
      } = await meeting(['alice', 'bob']);
      const told = waitFor<[{ locked?: boolean }]>(bob!, 'roomOptions');
      await alice!.host.setLocked(true);
      assert.equal((await told)[0].locked, true);
      assert.equal(bob!.roomOptions.locked, true);
      const dave = await user('dave');
      await rejectsWith(dave.joinMeeting(id), ErrorCode.MEETING_LOCKED);
      assert.equal(t.server.room(id)!.size, 2);
      // Bob drops out and comes back (as after a lost link): let in.
      await bob!.leaveMeeting();
      await bob!.joinMeeting(id);
      await alice!.host.setLocked(false);
      await dave.joinMeeting(id);
      assert.equal(t.server.room(id)!.size, 3);
    });

    it('sets, changes and clears the meeting password (host only)', async () => {
      const {
        id,
        clients: [alice, bob],
      } = await meeting(['alice', 'bob']);
      await alice!.host.setRole(memberId(bob!), 'co-host');
      await rejectsWith(bob!.host.setPassword('other-secret'), ErrorCode.NOT_HOST);
      assert.equal(await alice!.host.setPassword('first-secret'), true);
      const dave = await user('dave');
      await rejectsWith(dave.joinMeeting(id), ErrorCode.MEETING_PASSWORD);
      assert.equal(await alice!.host.setPassword('second-secret'), true);
      await rejectsWith(dave.joinMeeting(id, 'first-secret'), ErrorCode.MEETING_PASSWORD);
      await dave.joinMeeting(id, 'second-secret');
      assert.equal(dave.meeting!.hasPassword, true);
      await dave.leaveMeeting();
      assert.equal(await alice!.host.setPassword(null), false);
      await dave.joinMeeting(id);
      assert.equal((await t.server.db.meetings.findById(id))!.passwordHash, null);
    });

    it('ends the meeting for everyone (host only)', async () => {
      const {
        id,
        clients: [alice, bob, carol],
      } = await meeting(['alice', 'bob', 'carol']);
      await alice!.host.setRole(memberId(bob!), 'co-host');
      await rejectsWith(bob!.host.endMeeting(), ErrorCode.NOT_HOST);
      const ended = [bob!, carol!].map((c) => waitFor<[{ by: string }]>(c, 'meetingEnded'));
      const left = [bob!, carol!].map((c) => waitFor(c, 'left'));
      const hostChanges = collect(carol!, 'hostChanged');
      await alice!.host.endMeeting();
      for (const e of ended) assert.equal((await e)[0].by, 'alice');
      await Promise.all(left);
      assert.equal(t.server.room(id), undefined);
      for (const c of [alice!, bob!, carol!]) assert.equal(c.meeting, null);
      await sleep(100);
      assert.equal(hostChanges.length, 0, 'no host hand-over while ending');
      // The meeting's row says it ended.
      for (let i = 0; i < 100 && (await t.server.db.meetings.findById(id))!.endedAt === null; i++)
        await sleep(20);
      assert.notEqual((await t.server.db.meetings.findById(id))!.endedAt, null);
    });

    it('hands out roles: a co-host moderates but cannot act on the host; a new host takes over', async () => {
      const {
        clients: [alice, bob, carol],
      } = await meeting(['alice', 'bob', 'carol']);
      const [a, b, c] = [alice!, bob!, carol!].map(memberId) as [number, number, number];
      const role = waitFor<[{ memberId: number; role: string }]>(carol!, 'roleChanged');
      await alice!.host.setRole(b, 'co-host');
      assert.deepEqual((await role)[0], {
        memberId: b,
        userId: bob!.session!.userId,
        role: 'co-host',
      });
      assert.equal(carol!.members.find((m) => m.memberId === b)!.role, 'co-host');
      await bob!.host.mute(c);
      await rejectsWith(bob!.host.mute(a), ErrorCode.NOT_HOST);
      await rejectsWith(bob!.host.remove(a), ErrorCode.NOT_HOST);
      await rejectsWith(bob!.host.setRole(c, 'co-host'), ErrorCode.NOT_HOST);
      // A late joiner sees the roles.
      const dave = await user('dave');
      const joined = await dave.joinMeeting(alice!.meeting!.id);
      assert.deepEqual(
        joined.members.map((m) => [m.username, m.role]),
        [
          ['alice', 'host'],
          ['bob', 'co-host'],
          ['carol', 'member'],
          ['dave', 'member'],
        ],
      );
      const host = waitFor<[{ memberId: number }]>(carol!, 'hostChanged');
      await alice!.host.setRole(c, 'host');
      assert.equal((await host)[0].memberId, c);
      await until(
        () => carol!.members.find((m) => m.memberId === a)?.role === 'co-host',
        'alice to become co-host',
      );
      assert.equal(carol!.self!.isHost, true);
      await rejectsWith(alice!.host.setRole(b, 'member'), ErrorCode.NOT_HOST);
      await carol!.host.setRole(b, 'member');
      await rejectsWith(bob!.host.mute(memberId(dave)), ErrorCode.NOT_HOST);
      // The host leaves: a co-host takes over before older members.
      const next = waitFor<[{ memberId: number }]>(bob!, 'hostChanged');
      await carol!.leaveMeeting();
      assert.equal((await next)[0].memberId, a);
    });

    it('waiting room: joiners wait, the host admits or denies; admitted users do not wait again', async () => {
      const {
        id,
        clients: [alice],
      } = await meeting(['alice']);
      await alice!.host.setWaitingRoom(true);
      const bob = await user('bob');
      const carol = await user('carol');
      const list = waitFor<[{ waiting: Array<{ username: string }> }]>(alice!, 'waitingList', (l) =>
        l.waiting.some((w) => w.username === 'bob'),
      );
      const waiting = waitFor(bob, 'waiting');
      const bobJoin = bob.joinMeeting(id);
      await waiting;
      await list;
      assert.deepEqual(
        alice!.waiting.map((w) => w.username),
        ['bob'],
      );
      assert.equal(t.server.room(id)!.size, 1, 'bob is not in yet');
      assert.equal(bob.meeting, null);
      assert.equal(await alice!.host.admit(bob.session!.userId), 1);
      const joined = await bobJoin;
      assert.equal(joined.meeting.id, id);
      assert.equal(t.server.room(id)!.size, 2);
      await until(() => alice!.waiting.length === 0, 'the list to empty');

      // Denied.
      const carolJoin = carol.joinMeeting(id);
      carolJoin.catch(() => undefined); // asserted below
      const denied = waitFor(carol, 'waitingDenied');
      await waitFor(alice!, 'waitingList', (l: { waiting: unknown[] }) => l.waiting.length === 1);
      await alice!.host.deny(carol.session!.userId);
      await denied;
      await rejectsWith(carolJoin, ErrorCode.WAITING_DENIED);
      assert.equal(t.server.room(id)!.size, 2);

      // A member who comes back (as after a reconnect) does not wait again.
      await bob.leaveMeeting();
      const waited = collect(bob, 'waiting');
      await bob.joinMeeting(id);
      assert.equal(waited.length, 0);

      // Admit all; a waiter that goes away leaves the list.
      const dave = await user('dave');
      const erin = await user('erin');
      const frank = await user('frank');
      const joins = [dave.joinMeeting(id), erin.joinMeeting(id)];
      void frank.joinMeeting(id).catch(() => undefined);
      await until(() => alice!.waiting.length === 3, 'three waiting');
      // (A dropped link keeps the session for its grace period; logging out ends it.)
      await frank.logout();
      await until(() => alice!.waiting.length === 2, 'frank to leave the list');
      // A co-host can see and admit too.
      await alice!.host.setRole(memberId(bob), 'co-host');
      assert.deepEqual(
        (await bob.host.listWaiting()).map((w) => w.username).sort(), // they asked at the same time
        ['dave', 'erin'],
      );
      assert.equal(await bob.host.admit('all'), 2);
      await Promise.all(joins);
      assert.equal(t.server.room(id)!.size, 4);

      // Turning the waiting room off lets everyone in.
      const gina = await user('gina');
      const ginaJoin = gina.joinMeeting(id);
      await until(() => alice!.waiting.length === 1, 'gina waiting');
      await alice!.host.setWaitingRoom(false);
      await ginaJoin;
    });

    it('across a dropped link: a waiter let in meanwhile enters on resume; a resumed member neither waits nor escapes its mute', async () => {
      const proxy = await TcpProxy.start(t.port);
      try {
        const {
          id,
          clients: [alice],
        } = await meeting(['alice']);
        await alice!.host.setWaitingRoom(true);
        const bob = new MeetingClient(
          { host: '127.0.0.1', port: proxy.port },
          { trust: t.trust(), backoff: { initialMs: 100, factor: 2, maxMs: 400, jitter: 0.2 } },
        );
        await bob.connect();
        await bob.register('bob', 'password1');
        const waited = collect(bob, 'waiting');
        const joining = bob.joinMeeting(id);
        await until(() => alice!.waiting.length === 1, 'bob waiting');
        // The link drops; the host lets bob in while he is away (that answer is lost).
        proxy.cut(1500);
        await waitFor(bob, 'reconnecting');
        await alice!.host.admit(bob.session!.userId);
        await waitFor(bob, 'reconnected', () => true, 15_000);
        const joined = await joining;
        assert.equal(joined.meeting.id, id);
        assert.equal(waited.length, 1);

        // Muted, then the link drops again: back in the same meeting, not waiting, still muted.
        const drops = collect<DropReason>(t.server.room(id)!.observer, 'dropped', 1);
        await alice!.host.mute(memberId(bob));
        proxy.cut(1000);
        await waitFor(bob, 'reconnected', () => true, 15_000);
        assert.equal(bob.meeting?.id, id);
        assert.equal(waited.length, 1, 'no second wait');
        await until(
          () => bob.transport.send('audio', frame('audio')) && drops.includes('muted'),
          'a muted drop after the resume',
        );
        await bob.close();
      } finally {
        await proxy.close();
      }
    });

    it('raised hands are ordered by time; hosts lower hands; reactions reach the room', async () => {
      const {
        id,
        clients: [alice, bob, carol],
      } = await meeting(['alice', 'bob', 'carol']);
      const [b, c] = [bob!, carol!].map(memberId) as [number, number];
      await carol!.host.raiseHand();
      await sleep(5);
      await bob!.host.raiseHand();
      await until(() => alice!.hands.length === 2, 'two hands');
      assert.deepEqual(
        alice!.hands.map((h) => h.memberId),
        [c, b],
      );
      const dave = await user('dave');
      const joined = await dave.joinMeeting(id);
      assert.deepEqual(
        joined.hands?.map((h) => h.memberId),
        [c, b],
      );
      const lowered = waitFor<[{ action: string }]>(carol!, 'moderated');
      await alice!.host.lowerHand(c);
      assert.equal((await lowered)[0].action, 'lower-hand');
      await until(() => alice!.hands.length === 1, 'one hand');
      await bob!.host.raiseHand(false);
      await until(() => dave.hands.length === 0, 'no hands');

      const reactions = [alice!, carol!, dave].map((x) =>
        waitFor<[{ memberId: number; reaction: string }]>(x, 'reaction'),
      );
      await bob!.host.react('clap');
      for (const r of reactions) assert.deepEqual((await r)[0], { memberId: b, reaction: 'clap' });
      await rejectsWith(
        bob!.request('react', { reaction: 'x'.repeat(1000) as 'clap' }),
        ErrorCode.BAD_REQUEST,
      );
      // A flood of reactions is cut off (burst 10, then 60 a minute, hands included).
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, () => bob!.host.react('laugh')),
      );
      assert.ok(
        results.some(
          (r) =>
            r.status === 'rejected' &&
            r.reason instanceof MeetingError &&
            r.reason.code === ErrorCode.RATE_LIMITED,
        ),
      );
    });
  });
}
