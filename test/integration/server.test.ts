/**
 * The meeting server with real sockets, a real worker pool and a real database (SQLite and MariaDB):
 * accounts, sessions, meetings, chat, persistence, access log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { MeetingClient } from '../../client/MeetingClient';
import { TEST_DATABASE_KINDS } from '../helpers/databases';
import { collect, sleep, startTestServer, waitFor, type TestServer } from '../helpers/server';

const rejectsWith = (p: Promise<unknown>, code: string): Promise<void> =>
  assert.rejects(p, (e: unknown) => e instanceof MeetingError && e.code === code);

for (const kind of TEST_DATABASE_KINDS) {
  describe(`meeting server on ${kind}`, function () {
    this.timeout(30_000);
    let t: TestServer;
    beforeEach(async () => {
      t = await startTestServer(kind);
    });
    afterEach(async () => {
      await t.stop();
    });

    async function user(name: string, password = 'password1'): Promise<MeetingClient> {
      const c = await t.client({ media: false });
      await c.register(name, password);
      return c;
    }

    it('registers, logs in, and answers a wrong password and an unknown user alike', async () => {
      const a = await t.client({ media: false });
      const reg = await a.register('alice', 'password1');
      assert.equal(reg.username, 'alice');
      assert.ok(reg.token.length >= 20);
      await a.logout();
      const login = await a.login('alice', 'password1');
      assert.equal(login.userId, reg.userId);
      const b = await t.client({ media: false });
      const wrong = await b.login('alice', 'nope-nope').catch((e: MeetingError) => e);
      const unknown = await b.login('nobody', 'nope-nope').catch((e: MeetingError) => e);
      assert.ok(wrong instanceof MeetingError && unknown instanceof MeetingError);
      assert.equal(wrong.code, ErrorCode.BAD_CREDENTIALS);
      assert.equal(unknown.code, wrong.code);
      assert.equal(unknown.message, wrong.message);
      const stored = await t.server.db.users.findByUsername('alice');
      assert.ok(
        stored &&
          stored.passwordHash.startsWith('scrypt$') &&
          !stored.passwordHash.includes('password1'),
      );
    });

    it('validates usernames and passwords and refuses a taken name', async () => {
      const a = await t.client({ media: false });
      await rejectsWith(a.register('a b', 'password1'), ErrorCode.INVALID_USERNAME);
      await rejectsWith(a.register('al', 'password1'), ErrorCode.INVALID_USERNAME);
      await rejectsWith(a.register('alice', '123'), ErrorCode.WEAK_PASSWORD);
      await a.register('alice', 'password1');
      const b = await t.client({ media: false });
      await rejectsWith(b.register('alice', 'password2'), ErrorCode.USERNAME_TAKEN);
    });

    it('rate-limits repeated failed logins', async () => {
      await (await user('carol')).close();
      const c = await t.client({ media: false });
      for (let i = 0; i < 5; i++)
        await rejectsWith(c.login('carol', 'wrong-pass'), ErrorCode.BAD_CREDENTIALS);
      // Even the right password is refused while the limit holds.
      await rejectsWith(c.login('carol', 'password1'), ErrorCode.RATE_LIMITED);
    });

    it('a second login kicks the first session with "logged in elsewhere"', async () => {
      const first = await t.client();
      await first.register('dave', 'password1');
      await first.createMeeting('Kick test');
      const kicked = waitFor(first, 'kicked');
      const closed = waitFor(first, 'close');
      const second = await t.client();
      await second.login('dave', 'password1');
      const [event] = (await kicked) as [{ code: string }];
      assert.equal(event.code, ErrorCode.LOGGED_IN_ELSEWHERE);
      await closed;
      assert.equal(first.connected, false);
      assert.equal(t.server.memberCount, 1);
      await second.createMeeting('still works');
    });

    it('refuses media links with a wrong token and closes them with the control link', async () => {
      const a = await t.client();
      await a.register('erin', 'password1');
      const audio = a.transport.linkForTests('audio');
      const video = a.transport.linkForTests('video');
      assert.ok(audio && video, 'both media links attached');
      const { MeetingClient } = await import('../../client/MeetingClient');
      const intruder = new MeetingClient({ host: '127.0.0.1', port: t.port });
      // Attaching with a made-up token: reach the private attach through a forged login result.
      await intruder.connect();
      const attach = intruder.request('attach', { token: 'not-a-token', link: 'audio' });
      await rejectsWith(attach, ErrorCode.BAD_TOKEN);
      await intruder.close();
      const audioClosed = waitFor(audio, 'close');
      const videoClosed = waitFor(video, 'close');
      await a.close();
      await Promise.all([audioClosed, videoClosed]);
    });

    it('creates, joins and leaves meetings; hands the host over; ends an empty meeting', async () => {
      const a = await user('host1');
      const b = await user('guest1');
      const c = await user('guest2');
      const created = await a.createMeeting('Planning');
      // Three groups of four base32 characters: 2^60 ids, not guessable.
      assert.match(
        created.meeting.id,
        /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/,
      );
      assert.equal(created.members.length, 1);
      assert.equal(created.members[0]!.isHost, true);
      const aSeesB = waitFor(
        a,
        'memberJoined',
        (m: { username: string }) => m.username === 'guest1',
      );
      const joinedB = await b.joinMeeting(created.meeting.id);
      await aSeesB;
      assert.deepEqual(
        joinedB.members.map((m) => m.username),
        ['host1', 'guest1'],
      );
      await c.joinMeeting(created.meeting.id);
      assert.deepEqual(
        a.members.map((m) => m.username),
        ['host1', 'guest1', 'guest2'],
      );

      const hostToB = waitFor(c, 'hostChanged');
      const cSeesLeave = waitFor(c, 'memberLeft');
      await a.leaveMeeting();
      const [left] = (await cSeesLeave) as [{ username: string; reason: string }];
      assert.deepEqual([left.username, left.reason], ['host1', 'left']);
      const [host] = (await hostToB) as [{ username: string }];
      assert.equal(host.username, 'guest1', 'the oldest remaining member becomes host');
      assert.equal(c.members.find((m) => m.username === 'guest1')?.isHost, true);
      await sleep(50);
      assert.equal(
        (await t.server.db.meetings.findById(created.meeting.id))?.hostUserId,
        b.session?.userId,
      );

      await b.leaveMeeting();
      await c.leaveMeeting();
      await sleep(100);
      assert.equal(t.server.room(created.meeting.id), undefined);
      const ended = await t.server.db.meetings.findById(created.meeting.id);
      assert.ok(ended?.endedAt, 'an empty meeting ends');
      const attendance = await t.server.db.meetings.attendance(created.meeting.id);
      assert.equal(attendance.length, 3);
      assert.ok(attendance.every((r) => r.leftAt !== null));
      // It can be joined again later.
      const again = await a.joinMeeting(created.meeting.id);
      assert.equal(again.members[0]!.isHost, true);
    });

    it('checks meeting passwords and ids', async () => {
      const a = await user('hostp');
      const b = await user('guestp');
      const { meeting } = await a.createMeeting('Secret', 'letmein');
      assert.equal(meeting.hasPassword, true);
      await rejectsWith(b.joinMeeting(meeting.id), ErrorCode.MEETING_PASSWORD);
      await rejectsWith(b.joinMeeting(meeting.id, 'wrong'), ErrorCode.MEETING_PASSWORD);
      // An unknown id gets the same answer as a wrong password.
      await rejectsWith(b.joinMeeting('0000-0000-0000'), ErrorCode.MEETING_PASSWORD);
      await rejectsWith(b.joinMeeting('0000-0000-0000', 'wrong'), ErrorCode.MEETING_PASSWORD);
      await b.joinMeeting(meeting.id, 'letmein');
      await rejectsWith(b.joinMeeting(meeting.id, 'letmein'), ErrorCode.ALREADY_IN_MEETING);
    });

    it('delivers room, private and @mention chat only where it should go, acknowledged once stored', async () => {
      const [a, b, c] = [await user('ann'), await user('ben'), await user('cat')];
      const { meeting } = await a.createMeeting('Chat');
      await b.joinMeeting(meeting.id);
      await c.joinMeeting(meeting.id);
      const got = {
        a: collect<{ text: string }>(a, 'chat'),
        b: collect<{ text: string }>(b, 'chat'),
        c: collect<{ text: string }>(c, 'chat'),
      };

      const room = await a.say('hello room');
      assert.ok(room.id > 0);
      assert.equal(
        await t.server.db.messages.countForMeeting(meeting.id),
        1,
        'stored before the ack',
      );
      const priv = await a.say('just for ben', 'ben');
      assert.equal(priv.to, 'ben');
      const mention = await b.say('@cat can you look?');
      assert.deepEqual(mention.mentions, ['cat']);
      await rejectsWith(a.say('hi', 'nobody'), ErrorCode.RECIPIENT_NOT_FOUND);
      const lastAtB = waitFor(b, 'chat', (m: { text: string }) => m.text === 'last one');
      const lastAtA = waitFor(a, 'chat', (m: { text: string }) => m.text === 'last one');
      await c.say('last one');
      await Promise.all([lastAtA, lastAtB]);

      assert.deepEqual(
        got.a.map((m) => m.text),
        ['last one'],
      );
      assert.deepEqual(
        got.b.map((m) => m.text),
        ['hello room', 'just for ben', 'last one'],
      );
      assert.deepEqual(
        got.c.map((m) => m.text),
        ['hello room', '@cat can you look?'],
      );
    });

    it('sends a text that @mentions someone to the whole room when asked (everyone: true)', async () => {
      const [a, b, c] = [await user('eva'), await user('eli'), await user('eon')];
      const { meeting } = await a.createMeeting('Everyone anyway');
      await b.joinMeeting(meeting.id);
      await c.joinMeeting(meeting.id);
      const atC = waitFor(c, 'chat', (m: { text: string }) => m.text === 'Hi all, @eli look');
      const atB = waitFor(b, 'chat', (m: { text: string }) => m.text === 'Hi all, @eli look');
      const sent = await a.say('Hi all, @eli look', undefined, { everyone: true });
      assert.equal(sent.mentions, null, 'delivered to the room, not to the mentioned only');
      assert.equal(sent.to, null);
      await Promise.all([atB, atC]);
      // Without the flag the same text goes to eli only, and a rejoiner sees only the first.
      const directed = await a.say('@eli only you');
      assert.deepEqual(directed.mentions, ['eli']);
      await c.leaveMeeting();
      const rejoined = await c.joinMeeting(meeting.id);
      assert.deepEqual(
        rejoined.history.map((m) => m.text),
        ['Hi all, @eli look'],
      );
      // The flag is a boolean, nothing else.
      await rejectsWith(
        a.request('chat', { text: 'x', everyone: 'yes' } as unknown as { text: string }),
        ErrorCode.BAD_REQUEST,
      );
    });

    it('returns the visible history when a member rejoins', async () => {
      const [a, b, c] = [await user('hxx'), await user('hyy'), await user('hzz')];
      const { meeting } = await a.createMeeting('History');
      await b.joinMeeting(meeting.id);
      await c.joinMeeting(meeting.id);
      await a.say('for everyone');
      await a.say('secret for hyy', 'hyy');
      await c.leaveMeeting();
      const rejoined = await c.joinMeeting(meeting.id);
      assert.deepEqual(
        rejoined.history.map((m) => m.text),
        ['for everyone'],
      );
      await b.leaveMeeting();
      const rejoinedB = await b.joinMeeting(meeting.id);
      assert.deepEqual(
        rejoinedB.history.map((m) => [m.text, m.to]),
        [
          ['for everyone', null],
          ['secret for hyy', 'hyy'],
        ],
      );
    });

    it('drops a silent client after the heartbeat timeout, shows it reconnecting, then gone after the grace period', async () => {
      await t.server.close();
      await t.db.cleanup();
      t = await startTestServer(kind, { heartbeatTimeoutMs: 400, limits: { resumeGraceMs: 600 } });
      const quiet = await t.client({
        media: false,
        heartbeatIntervalMs: 60_000,
        livenessDeadlineMs: 120_000,
        reconnect: false,
      });
      await quiet.register('quiet', 'password1');
      const { meeting } = await quiet.createMeeting('Heartbeat');
      const lively = await t.client({ media: false, heartbeatIntervalMs: 100 });
      await lively.register('lively', 'password1');
      await lively.joinMeeting(meeting.id);
      const quietId = quiet.session?.memberId;
      const kicked = waitFor(quiet, 'kicked');
      const [away] = await waitFor<[{ memberId: number; state: string }]>(
        lively,
        'memberConnection',
      );
      assert.deepEqual(away, { memberId: quietId, state: 'reconnecting' });
      assert.equal(lively.members.find((m) => m.username === 'quiet')?.reconnecting, true);
      const [left] = await waitFor<[{ username: string; reason: string }]>(
        lively,
        'memberLeft',
        undefined,
        3000,
      );
      assert.deepEqual([left.username, left.reason], ['quiet', 'timeout']);
      const [k] = (await kicked) as [{ code: string }];
      assert.equal(k.code, ErrorCode.HEARTBEAT_TIMEOUT);
      await sleep(500);
      assert.equal(lively.connected, true, 'a client that pings stays');
    });

    it('loses no user, meeting or message across a server restart', async () => {
      const a = await user('persist');
      const { meeting } = await a.createMeeting('Durable', 'pw-pw-pw');
      await a.say('remember me');
      await a.close();
      await t.restart();
      const again = await t.client({ media: false });
      await again.login('persist', 'password1');
      const joined = await again.joinMeeting(meeting.id, 'pw-pw-pw');
      assert.equal(joined.meeting.name, 'Durable');
      assert.deepEqual(
        joined.history.map((m) => m.text),
        ['remember me'],
      );
      const recent = await again.request('recentMeetings', {});
      assert.equal(recent.meetings[0]?.id, meeting.id);
    });

    it('remembers a member’s face effect between meetings and tells the room', async () => {
      const a = await user('effecta');
      const b = await user('effectb');
      const { meeting } = await a.createMeeting('Effects');
      await b.joinMeeting(meeting.id);
      const told = waitFor(b, 'effectChanged');
      await a.setEffect('pixelate');
      const [event] = (await told) as [{ memberId: number; effect: string }];
      assert.deepEqual(event, { memberId: a.session?.memberId, effect: 'pixelate' });
      assert.equal(b.members.find((m) => m.username === 'effecta')?.effect, 'pixelate');
      await rejectsWith(
        a.request('setEffect', { effect: 'sparkles' as 'none' }),
        ErrorCode.BAD_REQUEST,
      );
      await a.logout();
      const again = await a.login('effecta', 'password1');
      assert.equal(again.effect, 'pixelate', 'the effect is remembered for the account');
      const joined = await a.joinMeeting(meeting.id);
      assert.equal(joined.members.find((m) => m.username === 'effecta')?.effect, 'pixelate');
    });

    it('lets one member share the screen at a time unless the host allows more', async () => {
      const [a, b] = [await user('sharea'), await user('shareb')];
      const { meeting } = await a.createMeeting('Screens');
      await b.joinMeeting(meeting.id);
      const told = waitFor<[{ memberId: number; active: boolean }]>(
        a,
        'screenShare',
        (x) => x.active,
      );
      await b.startScreenShare();
      const [e] = await told;
      assert.equal(e.memberId, b.session?.memberId);
      await rejectsWith(a.startScreenShare(), ErrorCode.SCREEN_SHARE_BUSY);
      await rejectsWith(b.setRoomOptions({ allowMultipleScreens: true }), ErrorCode.NOT_HOST);
      await a.setRoomOptions({ allowMultipleScreens: true });
      await a.startScreenShare();
      assert.deepEqual(
        a.members
          .filter((m) => m.screen)
          .map((m) => m.username)
          .sort(),
        ['sharea', 'shareb'],
      );
      const stopped = waitFor(a, 'screenShare', (x: { active: boolean }) => !x.active);
      await b.leaveMeeting();
      await stopped;
    });

    it('writes logins, joins, leaves and logouts to the access log table and file', async () => {
      const a = await user('logged');
      const { meeting } = await a.createMeeting('Audit');
      await a.leaveMeeting();
      await a.logout();
      await sleep(100);
      const rows = await t.server.db.accessLog.list({ username: 'logged' });
      assert.deepEqual(rows.map((r) => r.event).sort(), [
        'join',
        'leave',
        'login',
        'logout',
        'register',
      ]);
      assert.ok(rows.every((r) => r.address.startsWith('127.0.0.1:')));
      assert.equal(rows.find((r) => r.event === 'join')?.meetingId, meeting.id);
      const file = fs
        .readFileSync(path.join(t.dataDir, 'access.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; username: string });
      assert.deepEqual(
        file
          .filter((l) => l.username === 'logged')
          .map((l) => l.event)
          .sort(),
        ['join', 'leave', 'login', 'logout', 'register'],
      );
    });
  });
}
