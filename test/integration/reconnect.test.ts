/**
 * Surviving the network, on real sockets and real databases: a server killed with SIGKILL and
 * started again on the same port and data, a proxy that cuts every connection for seconds, chat
 * written during an outage, and TLS: pinned certificates and media tokens bound to the session.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaKind } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import { LINK_SPECS } from '../../common/links';
import { encodeMediaFrame } from '../../common/media';
import { MeetingClient, type MeetingClientOptions } from '../../client/MeetingClient';
import { KnownServers, PinnedFingerprint } from '../../client/trust';
import { TcpProxy } from '../helpers/proxy';
import { RawLink, rawSession } from '../helpers/raw';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../helpers/databases';
import { collect, sleep, startTestServer, waitFor, type TestServer } from '../helpers/server';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');
/** Quick back-off for tests (the defaults go up to 2 s between attempts). */
const FAST: MeetingClientOptions = {
  backoff: { initialMs: 100, factor: 2, maxMs: 800, jitter: 0.2 },
};

/** A `meeting server` process: killed for real, restarted on the same port and data. */
interface ServerProcess {
  child: ChildProcess;
  port: number;
  fingerprint: string;
  /** When it printed that it listens (ms since the epoch). */
  listeningAt: number;
}

function startServerProcess(dataDir: string, dbUrl: string, port = 0): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'server', '--port', String(port), '--data', dataDir, '--db', dbUrl],
    { env: { ...process.env, MEETING_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on [^\s]+:(\d+) \(TLS, certificate SHA-256 ([0-9A-F:]+)\)/.exec(out);
      if (m)
        resolve({
          child,
          port: Number(m[1]),
          fingerprint: m[2] as string,
          listeningAt: Date.now(),
        });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
}

/** Sends an audio frame every 20 ms through the client's media door until stopped. */
function speak(client: MeetingClient): () => void {
  let sequence = 0;
  const payload = Buffer.alloc(80, 7);
  const timer = setInterval(() => {
    const frame = encodeMediaFrame(
      { kind: MediaKind.AUDIO, source: 0, flags: 0, sender: 0, sequence: ++sequence, timestamp: 1 },
      payload,
      LINK_SPECS.audio.maxFrameSize,
    );
    client.transport.send('audio', frame);
  }, 20);
  return () => clearInterval(timer);
}

/** Resolves when `client` receives a media frame (after now). */
function nextFrame(client: MeetingClient, ms = 10_000): Promise<unknown> {
  return waitFor(client.transport, 'frame', () => true, ms);
}

/** Handles and timers alive in this process, by kind (to find leaks). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

for (const kind of TEST_DATABASE_KINDS) {
  describe(`reconnect after a server restart on ${kind}`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess | null = null;
    const clients: MeetingClient[] = [];

    before(async () => {
      db = await createTestDatabase(kind);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-restart-'));
    });
    after(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      server?.child.kill('SIGKILL');
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('SIGKILL, start again: every member is back in the same meeting, media flows, chat intact, nobody twice', async () => {
      server = await startServerProcess(dataDir, db.url);
      const trust = new PinnedFingerprint(server.fingerprint);
      const connect = async (name: string): Promise<MeetingClient> => {
        const c = new MeetingClient({ host: '127.0.0.1', port: server!.port }, { trust, ...FAST });
        clients.push(c);
        await c.connect();
        await c.register(name, 'password1');
        return c;
      };
      const [a, b, c] = [await connect('ann'), await connect('ben'), await connect('cat')];
      const { meeting } = await a!.createMeeting('Survives');
      await b!.joinMeeting(meeting.id);
      await c!.joinMeeting(meeting.id);
      await a!.setMediaState(false, true);
      await a!.say('said before the crash');
      const stops = [a!, b!, c!].map(speak);
      await Promise.all([a!, b!, c!].map((x) => nextFrame(x)));
      const ids = [a!, b!, c!].map((x) => x.session?.memberId);
      const joinedOrLeft = [a!, b!, c!].flatMap((x) => [
        collect(x, 'memberJoined'),
        collect(x, 'memberLeft'),
      ]);
      const lost = [a!, b!, c!].map((x) => collect(x, 'sessionLost'));

      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
      await sleep(300);
      server = await startServerProcess(dataDir, db.url, server.port);
      const listening = server.listeningAt;
      const back = await Promise.all(
        [a!, b!, c!].map(async (x) => {
          if (x.reconnecting) await waitFor(x, 'reconnected', () => true, 10_000);
          const resumed = Date.now() - listening;
          await nextFrame(x);
          return { resumed, media: Date.now() - listening };
        }),
      );
      for (const stop of stops) stop();
      const worst = Math.max(...back.map((r) => r.media));
      console.log(
        `      back after restart: resumed ${back.map((r) => r.resumed).join('/')} ms, ` +
          `media ${back.map((r) => r.media).join('/')} ms after listening`,
      );
      assert.ok(worst < 5000, `media flows again within 5 s of listening (${worst} ms)`);
      assert.deepEqual(
        [a!, b!, c!].map((x) => x.session?.memberId),
        ids,
        'the same members',
      );
      for (const x of [a!, b!, c!]) {
        assert.equal(x.meeting?.id, meeting.id);
        const names = x.members.map((m) => m.username).sort();
        assert.deepEqual(names, ['ann', 'ben', 'cat'], 'every member once');
        assert.equal(x.members.find((m) => m.username === 'ann')?.isHost, true, 'host kept');
        assert.equal(x.members.find((m) => m.username === 'ann')?.audio, false, 'mute kept');
      }
      assert.deepEqual(joinedOrLeft.flat(), [], 'nobody saw a member leave or join');
      assert.deepEqual(lost.flat(), []);
      const history = await b!.request('chatHistory', {});
      assert.deepEqual(
        history.messages.map((m) => m.text),
        ['said before the crash'],
      );
      // The meeting goes on: chat reaches the others once.
      const got = waitFor<[{ text: string }]>(c!, 'chat');
      await b!.say('after the restart');
      assert.equal((await got)[0].text, 'after the restart');
    });
  });

  describe(`reconnect through a network cut on ${kind}`, function () {
    this.timeout(90_000);
    let t: TestServer;
    let proxy: TcpProxy;

    beforeEach(async () => {
      t = await startTestServer(kind);
      proxy = await TcpProxy.start(t.port);
    });
    afterEach(async () => {
      await proxy.close();
      await t.stop();
    });

    /** A meeting of host + other, direct, and `far`, whose links all go through the proxy. */
    async function meetingWithFarMember(): Promise<{
      host: MeetingClient;
      other: MeetingClient;
      far: MeetingClient;
    }> {
      const host = await t.client(FAST);
      await host.register('host', 'password1');
      const { meeting } = await host.createMeeting('Flaky');
      const other = await t.client(FAST);
      await other.register('other', 'password1');
      await other.joinMeeting(meeting.id);
      const far = new MeetingClient(
        { host: '127.0.0.1', port: proxy.port },
        {
          trust: t.trust(),
          ...FAST,
        },
      );
      await far.connect();
      await far.register('far', 'password1');
      await far.joinMeeting(meeting.id);
      return { host, other, far };
    }

    it('a 3 s cut: the member is back, the others saw it reconnecting and back, never left or joined; chat written meanwhile arrives once', async () => {
      const { host, other, far } = await meetingWithFarMember();
      const left = collect(host, 'memberLeft');
      const joined = collect(host, 'memberJoined');
      const states = collect<{ memberId: number; state: string }>(host, 'memberConnection');
      const events = collect<{ attempt: number }>(far, 'reconnecting');
      const chats = collect<{ text: string }>(other, 'chat');
      const stop = speak(far);

      proxy.cut(3000);
      await waitFor(far, 'reconnecting');
      // Written while the link is down: waits in the outbox, stored once.
      const sent = far.say('written during the outage');
      const cutAt = Date.now();
      await waitFor(far, 'reconnected', () => true, 15_000);
      const downFor = Date.now() - cutAt;
      const stored = await sent;
      await nextFrame(host);
      stop();
      await sleep(300);

      assert.ok(downFor >= 2500, `back only once the network is (${downFor} ms)`);
      assert.ok(events.length >= 2, `several attempts (${events.length})`);
      assert.deepEqual(
        states.map((s) => s.state),
        ['reconnecting', 'connected'],
      );
      assert.deepEqual(left, []);
      assert.deepEqual(joined, []);
      assert.equal(far.meeting?.id, host.meeting?.id);
      assert.deepEqual(
        chats.filter((c) => c.text === 'written during the outage').length,
        1,
        'the message arrived once',
      );
      const stored2 = (await t.server.db.messages.historyFor(stored.meetingId, 1, 100)).filter(
        (m) => m.text === 'written during the outage',
      );
      assert.equal(stored2.length, 1, 'stored once');
    });

    it('a server that stops answering without closing anything is noticed within about 3 s', async () => {
      const { host, far } = await meetingWithFarMember();
      const states = collect<{ state: string }>(host, 'memberConnection');
      const silentAt = Date.now();
      proxy.blackhole(6000);
      const [info] = await waitFor<[{ reason: string }]>(far, 'reconnecting', () => true, 8000);
      const noticedAfter = Date.now() - silentAt;
      console.log(`      dead link noticed after ${noticedAfter} ms (${info.reason})`);
      assert.ok(noticedAfter <= 4500, `noticed within ~3 s (${noticedAfter} ms)`);
      assert.match(info.reason, /stopped answering/);
      await waitFor(far, 'reconnected', () => true, 15_000);
      assert.equal(far.meeting?.id, host.meeting?.id);
      await sleep(300);
      assert.equal(states.at(-1)?.state, 'connected');
    });

    it('a message whose link dies before the reply is sent again with its id and stored once', async () => {
      const { other, far } = await meetingWithFarMember();
      const chats = collect<{ text: string }>(other, 'chat');
      // Sent, then the link is cut at once: the server may or may not have stored it.
      const messages = ['one', 'two', 'three'].map((text) => far.say(text));
      proxy.cut(500);
      await waitFor(far, 'reconnected', () => true, 10_000);
      const stored = await Promise.all(messages);
      await sleep(300);
      assert.deepEqual(
        stored.map((m) => m.text),
        ['one', 'two', 'three'],
      );
      for (const text of ['one', 'two', 'three']) {
        assert.equal(chats.filter((c) => c.text === text).length, 1, `${text} delivered once`);
        const rows = await t.server.db.knex('messages').where({ text });
        assert.equal(rows.length, 1, `${text} stored once`);
      }
    });

    it('10 cuts in a row leave no leaked member, link, socket or timer', async () => {
      const { host, other, far } = await meetingWithFarMember();
      const meetingId = host.meeting?.id as string;
      await sleep(300);
      const before = resources();
      const linksBefore = t.server.connectionCount;
      const left = collect(host, 'memberLeft');
      for (let i = 0; i < 10; i++) {
        proxy.cut(300);
        await waitFor(far, 'reconnected', () => true, 10_000);
      }
      await sleep(500);
      const after = resources();
      assert.deepEqual(left, []);
      assert.equal(t.server.memberCount, 3, 'three sessions');
      assert.equal(t.server.connectedCount, 3, 'all connected');
      assert.equal(t.server.room(meetingId)?.size, 3, 'three members');
      assert.equal(t.server.connectionCount, linksBefore, 'as many links as before (3 each)');
      assert.equal(proxy.open, 3, 'the far member has its three links, no more');
      for (const kind of ['Timeout', 'TLSWrap', 'TCPSocketWrap']) {
        assert.ok(
          (after.get(kind) ?? 0) <= (before.get(kind) ?? 0) + 1,
          `${kind}: ${before.get(kind) ?? 0} before, ${after.get(kind) ?? 0} after`,
        );
      }
      assert.deepEqual(
        [host, other, far].map((c) => c.members.length),
        [3, 3, 3],
      );
    });

    it('a member gone longer than the grace period leaves for good, and its client says so', async () => {
      await t.server.close();
      await t.db.cleanup();
      t = await startTestServer(kind, { limits: { resumeGraceMs: 800 } });
      await proxy.close();
      proxy = await TcpProxy.start(t.port);
      const { host, far } = await meetingWithFarMember();
      const lost = waitFor<[{ code: string }]>(far, 'sessionLost', () => true, 15_000);
      const left = waitFor<[{ username: string; reason: string }]>(
        host,
        'memberLeft',
        () => true,
        5000,
      );
      proxy.cut(2500);
      const [gone] = await left;
      assert.deepEqual([gone.username, gone.reason], ['far', 'disconnected']);
      const [error] = await lost;
      assert.equal(error.code, ErrorCode.SESSION_LOST);
      assert.equal(far.session, null);
    });
  });
}

describe('TLS: pinned certificates and media tokens bound to the session', function () {
  this.timeout(30_000);
  let t: TestServer;
  let other: TestServer;
  const dirs: string[] = [];

  before(async () => {
    t = await startTestServer('sqlite');
    other = await startTestServer('sqlite');
  });
  after(async () => {
    await t.stop();
    await other.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('each server has its own certificate; a client pinned to one refuses the other, naming both', async () => {
    assert.notEqual(t.server.fingerprint, other.server.fingerprint);
    const c = new MeetingClient({ host: '127.0.0.1', port: other.port }, { trust: t.trust() });
    await assert.rejects(c.connect(), (error: Error & { code?: string }) => {
      assert.equal(error.code, ErrorCode.CERT_CHANGED);
      assert.ok(error.message.includes(t.server.fingerprint as string), error.message);
      assert.ok(error.message.includes(other.server.fingerprint as string), error.message);
      return true;
    });
  });

  it('a known-servers file pins on first use, refuses a changed certificate, and accepts it when told', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-known-'));
    dirs.push(dir);
    const file = path.join(dir, 'known-servers.json');
    const first = new MeetingClient(
      { host: '127.0.0.1', port: t.port },
      { trust: new KnownServers(file) },
    );
    await first.connect();
    await first.close();
    const pinned = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    assert.equal(pinned[`127.0.0.1:${t.port}`], t.server.fingerprint);
    // The same address now answers with another certificate (the server was reinstalled).
    const impostor = { host: '127.0.0.1', port: t.port };
    const known = new KnownServers(file);
    assert.throws(() => known.check(impostor, other.server.fingerprint as string), {
      code: ErrorCode.CERT_CHANGED,
    });
    const accepting = new KnownServers(file, other.server.fingerprint as string);
    accepting.check(impostor, other.server.fingerprint as string);
    assert.equal(new KnownServers(file).pinned(impostor), other.server.fingerprint);
  });

  it('a TLS client against a plain server, and a plain client against TLS, fail with clear errors', async () => {
    const plain = await startTestServer('sqlite', { plain: true });
    try {
      const c = new MeetingClient({ host: '127.0.0.1', port: plain.port }, { trust: t.trust() });
      await assert.rejects(c.connect(), { code: ErrorCode.TLS_FAILED });
      const p = new MeetingClient(
        { host: '127.0.0.1', port: t.port },
        { plain: true, requestTimeoutMs: 2000 },
      );
      await p.connect();
      await assert.rejects(p.request('ping', {}), (e: Error & { code?: string }) =>
        [ErrorCode.CONNECTION_CLOSED, ErrorCode.TIMEOUT].includes(e.code as never),
      );
      await p.close();
    } finally {
      await plain.stop();
    }
  });

  it('a media link with the token of another, ended session, or an old token after a resume, is refused', async () => {
    const alice = await rawSession(t.port, 'tok-alice');
    const bob = await rawSession(t.port, 'tok-bob');
    // Bob logs out: his token is worthless.
    assert.ok((await bob.control.request('logout', {})).ok);
    const stolen = await RawLink.open(t.port);
    const refused = await stolen.request('attach', { token: bob.token, link: 'audio' });
    assert.equal(refused.error?.code, ErrorCode.BAD_TOKEN);
    await stolen.closed;
    // Alice's link drops; while she is away her token attaches nothing.
    const login = (await alice.control.request('ping', {})).ok;
    assert.ok(login);
    const resumeToken = (
      await (
        await RawLink.open(t.port)
      ).request('login', {
        username: 'tok-alice',
        password: 'password1',
      })
    ).data as { resumeToken: string; token: string };
    // That login replaced the first session; resume it from a new link after this one drops.
    const control = await RawLink.open(t.port);
    const resumed = await control.request('resume', { token: resumeToken.resumeToken });
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    const fresh = (resumed.data as { token: string }).token;
    assert.notEqual(fresh, resumeToken.token, 'a resume replaces the media token');
    const old = await RawLink.open(t.port);
    assert.equal(
      (await old.request('attach', { token: resumeToken.token, link: 'audio' })).error?.code,
      ErrorCode.BAD_TOKEN,
      'the token from before the resume is refused',
    );
    const again = await RawLink.open(t.port);
    assert.equal(
      (await again.request('resume', { token: resumeToken.resumeToken })).error?.code,
      ErrorCode.RESUME_FAILED,
      'a resume token works once',
    );
    const good = await RawLink.open(t.port);
    assert.equal((await good.request('attach', { token: fresh, link: 'audio' })).ok, true);
    // The control link drops: the session waits for a resume, and attaches nothing meanwhile.
    control.destroy();
    await sleep(200);
    const meanwhile = await RawLink.open(t.port);
    assert.equal(
      (await meanwhile.request('attach', { token: fresh, link: 'video' })).error?.code,
      ErrorCode.BAD_TOKEN,
    );
    for (const l of [alice.control, good]) l.destroy();
  });
});
