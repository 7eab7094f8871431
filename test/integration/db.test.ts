// The database layer against real engines: every test runs on SQLite and on MariaDB/MySQL.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Database, DuplicateError, openDatabase } from '../../db';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../helpers/databases';

const TABLES = ['users', 'meetings', 'meeting_members', 'messages', 'access_log', 'sessions'];

function isDuplicate(constraint: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DuplicateError, `expected DuplicateError, got ${String(err)}`);
    assert.equal(err.constraint, constraint);
    assert.equal(err.code, 'DB_ERR_DUPLICATE');
    return true;
  };
}

for (const kind of TEST_DATABASE_KINDS) {
  describe(`db on ${kind}`, function () {
    let testDb: TestDatabase;
    let db: Database;

    beforeEach(async function () {
      testDb = await createTestDatabase(kind);
      db = await openDatabase({ url: testDb.url });
    });

    afterEach(async function () {
      await db?.close();
      await testDb?.cleanup();
    });

    it('opens the requested engine and migrates every table', async function () {
      assert.equal(db.kind, kind);
      for (const table of TABLES) {
        assert.equal(await db.knex.schema.hasTable(table), true, `table ${table}`);
      }
      assert.equal(await db.knex.schema.hasColumn('messages', 'mentions'), true);
      const done = (await db.knex('knex_migrations').select('name')) as Array<{ name: string }>;
      assert.ok(done.length >= 1);
      assert.ok(done.every((m) => m.name.endsWith('.js')));
    });

    it('creates and finds users, with numeric columns as numbers', async function () {
      const alice = await db.users.create({
        username: 'alice',
        passwordHash: 'hash-a',
        createdAt: 1_700_000_000_123,
      });
      assert.equal(typeof alice.id, 'number');
      assert.deepEqual(alice, {
        id: alice.id,
        username: 'alice',
        passwordHash: 'hash-a',
        createdAt: 1_700_000_000_123,
        lastLoginAt: null,
        faceEffect: 'none',
      });
      assert.deepEqual(await db.users.findByUsername('alice'), alice);
      await db.users.setFaceEffect(alice.id, 'beauty');
      assert.equal((await db.users.findById(alice.id))?.faceEffect, 'beauty');
      await db.users.setFaceEffect(alice.id, 'none');
      assert.deepEqual(await db.users.findById(alice.id), alice);
      assert.equal(await db.users.findByUsername('bob'), undefined);
      assert.equal(await db.users.findById(alice.id + 1000), undefined);

      await db.users.touchLogin(alice.id, 1_700_000_555_000);
      const found = await db.users.findById(alice.id);
      assert.equal(found?.lastLoginAt, 1_700_000_555_000);
      assert.equal(typeof found?.createdAt, 'number');

      const bob = await db.users.create({ username: 'bob', passwordHash: 'h', createdAt: 1 });
      assert.notEqual(bob.id, alice.id);
    });

    it('rejects a taken username with DuplicateError and compares names exactly', async function () {
      await db.users.create({ username: 'alice', passwordHash: 'h1', createdAt: 1 });
      await assert.rejects(
        db.users.create({ username: 'alice', passwordHash: 'h2', createdAt: 2 }),
        isDuplicate('users.username'),
      );
      // Same behaviour on both engines: names are case-sensitive.
      const upper = await db.users.create({ username: 'Alice', passwordHash: 'h3', createdAt: 3 });
      assert.equal((await db.users.findByUsername('Alice'))?.id, upper.id);
      assert.equal((await db.users.findByUsername('alice'))?.passwordHash, 'h1');
      await assert.rejects(
        db.users.create({ username: 'x'.repeat(33), passwordHash: 'h', createdAt: 1 }),
        TypeError,
      );
    });

    it('creates, finds, re-hosts, ends and reopens meetings', async function () {
      const created = await db.meetings.create({
        id: '482-193-775',
        name: 'Weekly sync ☕',
        passwordHash: null,
        hostUserId: 1,
        createdByUserId: 1,
        createdAt: 1_700_000_000_000,
      });
      assert.equal(created.endedAt, null);
      assert.deepEqual(await db.meetings.findById('482-193-775'), created);
      assert.equal(await db.meetings.findById('000-000-000'), undefined);

      await assert.rejects(
        db.meetings.create({ ...created, name: 'again' }),
        isDuplicate('meetings.id'),
      );

      await db.meetings.setHost('482-193-775', 2);
      await db.meetings.end('482-193-775', 1_700_000_900_000);
      let m = await db.meetings.findById('482-193-775');
      assert.equal(m?.hostUserId, 2);
      assert.equal(m?.endedAt, 1_700_000_900_000);
      assert.equal(m?.createdByUserId, 1);

      await db.meetings.reopen('482-193-775');
      m = await db.meetings.findById('482-193-775');
      assert.equal(m?.endedAt, null);
      assert.equal(m?.name, 'Weekly sync ☕');

      const locked = await db.meetings.create({
        id: '111-222-333',
        name: 'Locked',
        passwordHash: 'pw-hash',
        hostUserId: 3,
        createdByUserId: 3,
        createdAt: 5,
      });
      assert.deepEqual(await db.meetings.findById('111-222-333'), locked);
    });

    it('records members joining and leaving', async function () {
      const first = await db.meetings.addMember({
        meetingId: 'm1',
        userId: 7,
        joinedAt: 1000,
        address: '10.0.0.7:5000',
      });
      const second = await db.meetings.addMember({
        meetingId: 'm1',
        userId: 8,
        joinedAt: 2000,
        address: null,
      });
      await db.meetings.addMember({ meetingId: 'm2', userId: 7, joinedAt: 1500, address: null });
      assert.equal(typeof first, 'number');
      assert.notEqual(first, second);

      await db.meetings.markLeft(first, 3000);
      const again = await db.meetings.addMember({
        meetingId: 'm1',
        userId: 7,
        joinedAt: 4000,
        address: null,
      });
      await db.meetings.markLeft(again, 5000);

      assert.deepEqual(await db.meetings.attendance('m1'), [
        { userId: 7, joinedAt: 1000, leftAt: 3000 },
        { userId: 8, joinedAt: 2000, leftAt: null },
        { userId: 7, joinedAt: 4000, leftAt: 5000 },
      ]);
      assert.deepEqual(await db.meetings.attendance('nope'), []);
    });

    it('lists the meetings a user created or joined, newest first, once each', async function () {
      const meeting = (id: string, by: number, at: number) =>
        db.meetings.create({
          id,
          name: id,
          passwordHash: null,
          hostUserId: by,
          createdByUserId: by,
          createdAt: at,
        });
      const join = (meetingId: string, userId: number, joinedAt: number) =>
        db.meetings.addMember({ meetingId, userId, joinedAt, address: null });
      const A = 1;
      const B = 2;
      await meeting('m1', A, 1000);
      await meeting('m2', A, 2000); // created, never joined
      await meeting('m3', B, 3000);
      await meeting('m4', B, 4000); // A has nothing to do with it
      await join('m1', A, 1100);
      await join('m3', B, 3000);
      await join('m3', A, 3500);
      await join('m1', A, 5000);
      await join('m1', A, 4500);

      const recent = await db.meetings.recentForUser(A, 10);
      assert.deepEqual(
        recent.map((m) => [m.id, m.lastJoinedAt]),
        [
          ['m1', 5000],
          ['m3', 3500],
          ['m2', 2000],
        ],
      );
      assert.equal(recent[1]?.createdByUserId, B);
      assert.equal(recent[1]?.name, 'm3');
      assert.equal(typeof recent[0]?.createdAt, 'number');

      assert.deepEqual(
        (await db.meetings.recentForUser(A, 2)).map((m) => m.id),
        ['m1', 'm3'],
      );
      assert.deepEqual(
        (await db.meetings.recentForUser(B, 10)).map((m) => m.id),
        ['m4', 'm3'],
      );
      assert.deepEqual(await db.meetings.recentForUser(99, 10), []);
    });

    it('stores messages and shows each user only what they may see', async function () {
      const A = 1;
      const B = 2;
      const C = 3;
      let t = 1000;
      const send = (
        senderUserId: number,
        text: string,
        recipientUserId: number | null = null,
        mentions: number[] | null = null,
        meetingId = 'room',
      ) =>
        db.messages.insert({
          meetingId,
          senderUserId,
          senderName: `user${senderUserId}`,
          recipientUserId,
          mentions,
          text,
          createdAt: (t += 10),
        });

      const hello = await send(A, 'hello everyone 👋');
      assert.equal(typeof hello.id, 'number');
      assert.deepEqual(hello, {
        id: hello.id,
        meetingId: 'room',
        senderUserId: A,
        senderName: 'user1',
        recipientUserId: null,
        mentions: null,
        text: 'hello everyone 👋',
        createdAt: 1010,
        clientId: null,
        duplicate: false,
      });
      await send(A, 'psst B', B);
      await send(A, '@B look', null, [B]);
      await send(C, 'reply from C');
      await send(A, 'for 12 and 21 only', null, [12, 21]);
      await send(B, 'elsewhere', null, null, 'other-room');

      const texts = async (userId: number) =>
        (await db.messages.historyFor('room', userId, 50)).map((m) => m.text);
      assert.deepEqual(await texts(A), [
        'hello everyone 👋',
        'psst B',
        '@B look',
        'reply from C',
        'for 12 and 21 only',
      ]);
      assert.deepEqual(await texts(B), ['hello everyone 👋', 'psst B', '@B look', 'reply from C']);
      assert.deepEqual(await texts(C), ['hello everyone 👋', 'reply from C']);
      assert.deepEqual(await texts(12), [
        'hello everyone 👋',
        'reply from C',
        'for 12 and 21 only',
      ]);
      assert.deepEqual(await texts(21), [
        'hello everyone 👋',
        'reply from C',
        'for 12 and 21 only',
      ]);

      const [mention] = (await db.messages.historyFor('room', B, 50)).filter(
        (m) => m.text === '@B look',
      );
      assert.deepEqual(mention?.mentions, [B]);
      assert.equal((await db.messages.historyFor('room', B, 50))[1]?.recipientUserId, B);

      assert.equal(await db.messages.countForMeeting('room'), 5);
      assert.equal(await db.messages.countForMeeting('other-room'), 1);
      assert.equal(await db.messages.countForMeeting('empty'), 0);
    });

    it('stores a message once per sender and client id, however often it is sent', async function () {
      const message = {
        meetingId: 'room',
        senderUserId: 7,
        senderName: 'resender',
        recipientUserId: null,
        mentions: null,
        text: 'once only',
        createdAt: 5,
        clientId: 'c0ffee-1',
      };
      const first = await db.messages.insert(message);
      const again = await db.messages.insert({ ...message, createdAt: 9 });
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.equal(again.id, first.id);
      assert.equal(again.createdAt, 5, 'the stored message, not the resent one');
      // Another sender may use the same id; messages without one are never merged.
      const other = await db.messages.insert({ ...message, senderUserId: 8 });
      assert.notEqual(other.id, first.id);
      await db.messages.insert({ ...message, clientId: null });
      await db.messages.insert({ ...message, clientId: null });
      assert.equal(await db.messages.countForMeeting('room'), 4);
    });

    it('keeps sessions for a restart: resume hash, meeting, media state; forgets stale ones', async function () {
      const id = await db.sessions.create(3, 'a'.repeat(64), 1000);
      await db.sessions.setMeeting(id, 'room-1', 1100);
      await db.sessions.setMedia(id, { audio: false, video: true });
      await db.sessions.setScreen(id, true);
      await db.sessions.rotate(id, 'b'.repeat(64), 5000);
      const old = await db.sessions.create(4, 'c'.repeat(64), 10);
      const live = await db.sessions.live(2000);
      assert.deepEqual(
        live.map((s) => s.id),
        [id],
        'the session not seen since before 2000 is gone',
      );
      assert.deepEqual(live[0], {
        id,
        userId: 3,
        resumeHash: 'b'.repeat(64),
        meetingId: 'room-1',
        joinedAt: 1100,
        audio: false,
        video: true,
        screen: true,
        createdAt: 1000,
        seenAt: 5000,
        nodeId: null,
      });
      assert.equal(await db.sessions.findByResumeHash('c'.repeat(64)), undefined);
      assert.equal(old > 0, true);
      await db.sessions.delete(id);
      assert.deepEqual(await db.sessions.live(0), []);
    });

    it('moves a session between cluster nodes only from the node it is on (compare-and-set)', async function () {
      const id = await db.sessions.create(3, 'd'.repeat(64), 1000, 'node-a');
      await db.sessions.setMeeting(id, 'room-2', 1100);
      const other = await db.sessions.create(4, 'e'.repeat(64), 1000, 'node-a');
      await db.sessions.setMeeting(other, 'room-2', 1200);
      assert.equal((await db.sessions.findByResumeHash('d'.repeat(64)))?.nodeId, 'node-a');
      assert.deepEqual(
        (await db.sessions.inMeeting('room-2', 0)).map((r) => r.id),
        [id, other],
      );
      assert.deepEqual(await db.sessions.inMeeting('room-2', 2000), [], 'not seen since 2000');
      // Two nodes adopt it at once: one wins; a stale hash or node never does.
      assert.equal(await db.sessions.claim(id, 'd'.repeat(64), 'node-a', 'node-b', 3000), true);
      assert.equal(await db.sessions.claim(id, 'd'.repeat(64), 'node-a', 'node-c', 3000), false);
      assert.equal(await db.sessions.claim(id, 'x'.repeat(64), 'node-b', 'node-c', 3000), false);
      const row = await db.sessions.findByResumeHash('d'.repeat(64));
      assert.equal(row?.nodeId, 'node-b');
      assert.equal(row?.seenAt, 3000);
    });

    it('returns the newest `limit` visible messages in ascending order', async function () {
      for (let i = 1; i <= 10; i++) {
        await db.messages.insert({
          meetingId: 'room',
          senderUserId: 1,
          senderName: 'a',
          // Every third message is private to user 2, so user 3 must not count it.
          recipientUserId: i % 3 === 0 ? 2 : null,
          mentions: null,
          text: `m${i}`,
          createdAt: i,
        });
      }
      const forC = await db.messages.historyFor('room', 3, 4);
      assert.deepEqual(
        forC.map((m) => m.text),
        ['m5', 'm7', 'm8', 'm10'],
      );
      const forB = await db.messages.historyFor('room', 2, 3);
      assert.deepEqual(
        forB.map((m) => m.text),
        ['m8', 'm9', 'm10'],
      );
      assert.ok(forB[0]!.id < forB[1]!.id && forB[1]!.id < forB[2]!.id);
      assert.deepEqual(await db.messages.historyFor('room', 2, 0), []);
    });

    it('records and lists the access log oldest first', async function () {
      const base = { meetingId: null, address: '10.0.0.1', detail: null };
      await db.accessLog.record({
        ...base,
        userId: 1,
        username: 'alice',
        event: 'register',
        at: 10,
      });
      await db.accessLog.record({ ...base, userId: 1, username: 'alice', event: 'login', at: 20 });
      await db.accessLog.record({
        ...base,
        userId: null,
        username: 'mallory',
        event: 'login_failed',
        at: 30,
        detail: 'bad password',
      });
      await db.accessLog.record({
        ...base,
        userId: 1,
        username: 'alice',
        event: 'join',
        meetingId: '482-193-775',
        at: 40,
      });
      await db.accessLog.record({ ...base, userId: 1, username: 'alice', event: 'logout', at: 50 });
      // Client-supplied junk is cut to the column size, not rejected, on every engine.
      await db.accessLog.record({
        ...base,
        userId: null,
        username: 'z'.repeat(100),
        event: 'login_failed',
        at: 60,
      });

      const all = await db.accessLog.list({});
      assert.deepEqual(
        all.map((e) => e.at),
        [10, 20, 30, 40, 50, 60],
      );
      assert.deepEqual(all[2], {
        id: all[2]!.id,
        userId: null,
        username: 'mallory',
        event: 'login_failed',
        meetingId: null,
        address: '10.0.0.1',
        at: 30,
        detail: 'bad password',
      });
      assert.equal(all[3]?.meetingId, '482-193-775');
      assert.equal(all[5]?.username, 'z'.repeat(32));
      assert.equal(typeof all[0]?.id, 'number');

      assert.deepEqual(
        (await db.accessLog.list({ userId: 1 })).map((e) => e.event),
        ['register', 'login', 'join', 'logout'],
      );
      assert.deepEqual(
        (await db.accessLog.list({ username: 'mallory' })).map((e) => e.event),
        ['login_failed'],
      );
      assert.deepEqual(
        (await db.accessLog.list({ userId: 1, limit: 2 })).map((e) => e.event),
        ['join', 'logout'],
      );
      assert.deepEqual(await db.accessLog.list({ username: 'nobody' }), []);
    });

    it('keeps data across close and reopen of the same URL', async function () {
      const user = await db.users.create({ username: 'carol', passwordHash: 'h', createdAt: 7 });
      await db.meetings.create({
        id: 'persist-1',
        name: 'Persisted',
        passwordHash: null,
        hostUserId: user.id,
        createdByUserId: user.id,
        createdAt: 8,
      });
      await db.messages.insert({
        meetingId: 'persist-1',
        senderUserId: user.id,
        senderName: 'carol',
        recipientUserId: null,
        mentions: [user.id],
        text: 'still here',
        createdAt: 9,
      });
      await db.close();
      await db.close(); // idempotent

      db = await openDatabase({ url: testDb.url });
      assert.deepEqual(await db.users.findByUsername('carol'), user);
      assert.equal((await db.meetings.findById('persist-1'))?.name, 'Persisted');
      const history = await db.messages.historyFor('persist-1', user.id, 10);
      assert.deepEqual(
        history.map((m) => [m.text, m.mentions]),
        [['still here', [user.id]]],
      );
      // The ids keep counting from where they were.
      const next = await db.users.create({ username: 'dave', passwordHash: 'h', createdAt: 10 });
      assert.ok(next.id > user.id);
    });
  });
}

describe('openDatabase options', function () {
  let dir: string;

  beforeEach(async function () {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'meeting-db-opts-'));
  });

  afterEach(async function () {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('rejects an unsupported or malformed url with a TypeError naming the field', async function () {
    for (const url of [
      'postgres://u@localhost/db',
      'meeting.sqlite3',
      'sqlite:',
      'mysql://root@127.0.0.1:3306/',
      '',
    ]) {
      await assert.rejects(openDatabase({ url }), (err: unknown) => {
        assert.ok(err instanceof TypeError, `${url}: ${String(err)}`);
        assert.match(err.message, /\burl\b/);
        return true;
      });
    }
    // The message shows the url but never its password.
    await assert.rejects(openDatabase({ url: 'mariadb://u:secret@h/db' }), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });

  it('defaults to meeting.sqlite3 in dataDir, creating the directory', async function () {
    const dataDir = path.join(dir, 'nested', 'data');
    const db = await openDatabase({ dataDir });
    try {
      assert.equal(db.kind, 'sqlite');
      await db.users.create({ username: 'eve', passwordHash: 'h', createdAt: 1 });
    } finally {
      await db.close();
    }
    await fs.access(path.join(dataDir, 'meeting.sqlite3'));
  });

  it('commits SQLite writes with synchronous=FULL in WAL mode, so acknowledged chat survives a power cut', async function () {
    const db = await openDatabase({ dataDir: path.join(dir, 'durable') });
    try {
      // Every pooled connection gets the pragmas; ask twice in parallel to see more than one.
      const rows = await Promise.all(
        [0, 1].map(
          () => db.knex.raw('PRAGMA synchronous') as Promise<Array<{ synchronous: number }>>,
        ),
      );
      for (const r of rows) assert.equal(r[0]?.synchronous, 2, 'synchronous = FULL (2)');
      const mode = (await db.knex.raw('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
      assert.equal(mode[0]?.journal_mode, 'wal');
    } finally {
      await db.close();
    }
  });

  it('accepts sqlite::memory:', async function () {
    const db = await openDatabase({ url: 'sqlite::memory:' });
    try {
      const u = await db.users.create({ username: 'mem', passwordHash: 'h', createdAt: 1 });
      assert.deepEqual(await db.users.findById(u.id), u);
    } finally {
      await db.close();
    }
  });
});
