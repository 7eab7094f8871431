/**
 * Several nodes on one machine: two or three real `meeting server --cluster …` processes on the
 * real Redis and MariaDB. Members who connect to different nodes end up in one meeting on its node
 * (the client follows the redirect by itself) and hear each other; a second login on another node
 * kicks the first; a node killed with SIGKILL loses its leases and its meeting reopens on a
 * surviving node, where its members resume by themselves (same member ids, nobody seen leaving or
 * joining) within seconds of the lease running out.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_FRAME_SIZE, MediaFlag, MediaKind, MediaSource } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import { encodeMediaFrame } from '../../common/media';
import {
  MeetingClient,
  type MeetingClientOptions,
  type ServerAddress,
} from '../../client/MeetingClient';
import { KnownServers } from '../../client/trust';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { httpGet, sample, startServerProcess, type ServerProcess } from '../helpers/processes';
import { TEST_REDIS_URL, testRedisPrefix } from '../helpers/redis';
import { knownServersFile, sleep, waitFor } from '../helpers/server';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';

// Short for a quick test; MEETING_TEST_LEASE_MS=10000 measures the default.
const LEASE_MS = Number(process.env.MEETING_TEST_LEASE_MS ?? 3000);

function audioFrame(sequence: number): Buffer {
  return encodeMediaFrame(
    {
      kind: MediaKind.AUDIO,
      source: MediaSource.MICROPHONE,
      flags: MediaFlag.TALK_START,
      sender: 0,
      sequence,
      timestamp: sequence * 20_000,
    },
    Buffer.alloc(40, 7),
    MAX_FRAME_SIZE.audio,
  );
}

describe('several nodes on Redis and MariaDB', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let redis: ReturnType<typeof testRedisPrefix>;
  const nodes = new Map<string, ServerProcess>();
  const clients: MeetingClient[] = [];
  const dirs: string[] = [];

  async function startNode(id: string): Promise<ServerProcess> {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), `meeting-node-${id}-`));
    dirs.push(data);
    const node = await startServerProcess([
      '--db',
      db.url,
      '--data',
      data,
      '--cluster',
      TEST_REDIS_URL,
      '--cluster-prefix',
      redis.prefix,
      '--node-id',
      id,
      '--lease-ms',
      String(LEASE_MS),
      '--metrics-port',
      '0',
    ]);
    nodes.set(id, node);
    return node;
  }

  // Clients pin each node's certificate on first use (a redirect vouches for the next node's);
  // they do not reconnect on their own unless a test says so (the two members of the failover test).
  const trust = new KnownServers(knownServersFile());
  async function client(
    node: ServerProcess,
    options: MeetingClientOptions = {},
  ): Promise<MeetingClient> {
    const c = new MeetingClient(
      { host: '127.0.0.1', port: node.port },
      { trust, reconnect: false, ...options },
    );
    clients.push(c);
    await c.connect();
    return c;
  }

  const nodeAt = (address: ServerAddress): string =>
    [...nodes].find(([, n]) => n.port === address.port)?.[0] ?? '?';

  before(async () => {
    db = await createTestDatabase('mysql');
    redis = testRedisPrefix();
    // One after the other: the first runs the migrations.
    await startNode('a');
    await startNode('b');
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    for (const n of nodes.values()) n.kill();
    await Promise.allSettled([...nodes.values()].map((n) => n.exited));
    await redis.cleanup();
    await db.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  let meetingId = '';
  /** A member in the meeting now (the SIGTERM test listens on it). */
  let member: MeetingClient | null = null;

  it('members on different nodes end up in one meeting on its node and hear each other', async () => {
    const a = nodes.get('a') as ServerProcess;
    const b = nodes.get('b') as ServerProcess;
    // These two reconnect by themselves (the failover test kills their node): to their entry
    // address, then to the other node they know.
    const known = [a, b].map((n) => ({ host: '127.0.0.1', port: n.port }));
    const alice = await client(a, { reconnect: true, nodes: known });
    const bob = await client(b, { reconnect: true, nodes: known });
    await alice.register('alice', 'correct horse');
    await bob.register('bobby', 'correct horse');
    const moves: string[] = [];
    alice.on('moved', () => moves.push('alice'));
    bob.on('moved', () => moves.push('bob'));
    let started = performance.now();
    const created = await alice.createMeeting('across nodes');
    const createMs = performance.now() - started;
    meetingId = created.meeting.id;
    started = performance.now();
    const joined = await bob.joinMeeting(meetingId);
    const joinMs = performance.now() - started;
    // They started on different nodes: one of them was redirected, and now both share one.
    assert.equal(alice.address.port, bob.address.port);
    assert.equal(moves.length, 1, `exactly one redirect (${moves.join(', ')})`);
    assert.equal(alice.entryAddress.port, a.port, 'the entry address is kept for reconnects');
    assert.deepEqual(joined.members.map((m) => m.username).sort(), ['alice', 'bobby']);
    assert.equal(alice.members.length, 2);
    // Joins from the other node (redirected) against joins on the meeting's node, several each.
    const host = nodes.get(nodeAt(alice.address)) as ServerProcess;
    const other = [...nodes.values()].find((n) => n !== host) as ServerProcess;
    const timed = async (node: ServerProcess, name: string): Promise<number> => {
      const c = await client(node, { media: false });
      await c.register(name, 'correct horse');
      const t0 = performance.now();
      await c.joinMeeting(meetingId);
      const ms = performance.now() - t0;
      assert.equal(c.address.port, host.port, `${name} ends up on the meeting's node`);
      await c.close();
      return ms;
    };
    const redirected: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < 8; i++) {
      redirected.push(await timed(other, `far${i}`));
      local.push(await timed(host, `near${i}`));
    }
    const median = (xs: number[]): number =>
      [...xs].sort((x, y) => x - y)[xs.length >> 1] as number;
    console.log(
      `      meeting on node ${nodeAt(alice.address)} (${moves[0]} was redirected; create ` +
        `${createMs.toFixed(0)} ms, join ${joinMs.toFixed(0)} ms); join median: redirected ` +
        `${median(redirected).toFixed(1)} ms, local ${median(local).toFixed(1)} ms (8 each)`,
    );
    // Media flows between them on that node.
    const heard = waitFor(alice.transport, 'frame', (_f: Buffer, link: string) => link === 'audio');
    await sleep(50);
    for (let i = 1; i <= 5; i++) bob.transport.send('audio', audioFrame(i));
    await heard;
    // The meeting's node counts it; the other node has none.
    const text = (await httpGet(host.metricsPort as number, '/metrics')).body;
    assert.equal(sample(text, 'meeting_meetings'), 1);
    assert.ok(sample(text, 'meeting_relayed_frames_total', { kind: 'audio' }) >= 5);
    assert.equal(
      sample((await httpGet(other.metricsPort as number, '/metrics')).body, 'meeting_meetings'),
      0,
    );
    assert.equal((await httpGet(host.metricsPort as number, '/readyz')).status, 200);
    // A new meeting goes to the least loaded node: created on the busy one, it opens on the other.
    await sleep(1100); // one renewal: the other node's record shows its members leaving
    const dora = await client(host, { media: false });
    await dora.register('dora', 'correct horse');
    await dora.createMeeting('second');
    assert.equal(dora.address.port, other.port, 'placed on the node with fewer members');
    await dora.close();
  });

  it('a second login on another node kicks the first', async () => {
    const a = nodes.get('a') as ServerProcess;
    const b = nodes.get('b') as ServerProcess;
    const first = await client(a, { media: false });
    await first.register('dave', 'correct horse');
    const kicked = waitFor<[{ code: string }]>(first, 'kicked', () => true, 5000);
    const closed = waitFor(first, 'close');
    const second = await client(b, { media: false });
    await second.login('dave', 'correct horse');
    const [event] = await kicked;
    assert.equal(event.code, ErrorCode.LOGGED_IN_ELSEWHERE);
    await closed;
    assert.equal(second.session?.username, 'dave');
  });

  it('refuses a handoff with an unknown or malformed ticket', async () => {
    const a = nodes.get('a') as ServerProcess;
    const c = await client(a, { media: false });
    await assert.rejects(c.request('handoff', { ticket: 'x'.repeat(43) }), {
      code: ErrorCode.BAD_TICKET,
    });
    await assert.rejects(c.request('handoff', { ticket: 'short' }), { code: ErrorCode.BAD_TICKET });
    assert.equal(c.session, null);
  });

  it("a resume on another node never takes a live node's session: it redirects there", async () => {
    const a = nodes.get('a') as ServerProcess;
    const b = nodes.get('b') as ServerProcess;
    const owner = await client(a, { media: false });
    await owner.register('frank', 'correct horse');
    const token = owner.session?.resumeToken as string;
    const stranger = await client(b, { media: false });
    const redirected = waitFor<[{ host: string; port: number; ticket: string }]>(
      stranger,
      'redirect',
      () => true,
      5000,
    );
    await assert.rejects(stranger.request('resume', { token }), { code: ErrorCode.REDIRECT });
    const [to] = await redirected;
    assert.equal(to.port, a.port, 'sent to the node that holds the session');
    assert.equal(to.ticket, '', 'no handoff ticket: the client resumes there');
    assert.equal(stranger.session, null);
    // The owner's session is untouched on its node.
    assert.ok((await owner.ping()) >= 0);
    assert.equal(owner.session?.resumeToken, token);
    // An unknown token is refused as on one node.
    await assert.rejects(stranger.request('resume', { token: 'x'.repeat(43) }), {
      code: ErrorCode.RESUME_FAILED,
    });
  });

  it('shares the login rate limit across nodes', async () => {
    const a = nodes.get('a') as ServerProcess;
    const b = nodes.get('b') as ServerProcess;
    // 5 failures per username and address per minute, whichever node counts them.
    const results: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await client(i % 2 ? a : b, { media: false });
      try {
        await c.login('erin', 'wrong password');
      } catch (error) {
        results.push((error as { code: string }).code);
      }
      await c.close();
    }
    assert.deepEqual(results.slice(0, 5), Array(5).fill(ErrorCode.BAD_CREDENTIALS));
    assert.deepEqual(results.slice(5), [ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
  });

  it('a node killed with SIGKILL: its members resume on a survivor once the lease runs out', async () => {
    const alice = clients[0] as MeetingClient;
    const bob = clients[1] as MeetingClient;
    const hostId = nodeAt(alice.address);
    assert.equal(nodeAt(bob.address), hostId, "both members are on the meeting's node");
    const host = nodes.get(hostId) as ServerProcess;
    // A third node joins; it and the other survivor share the load.
    await startNode('c');
    const ids = (c: MeetingClient): string =>
      c.members
        .map((m) => `${m.username}#${m.memberId}`)
        .sort()
        .join(' ');
    const before = ids(alice);
    assert.equal(before, ids(bob));
    // (The members of the join timings above closed without logging out: their sessions wait out
    // the grace period and move with the meeting too.)
    assert.ok(alice.members.length >= 2);
    // What each member hears of the other while the meeting moves: nothing (no leave, no join).
    const churn: string[] = [];
    for (const [name, c] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      c.on('memberLeft', (e) => churn.push(`${name} saw ${e.username} leave`));
      c.on('memberJoined', (e) => churn.push(`${name} saw ${e.username} join`));
    }
    const back = (c: MeetingClient): Promise<[{ attempts: number; downMs: number }]> =>
      waitFor<[{ attempts: number; downMs: number }]>(
        c,
        'reconnected',
        () => true,
        LEASE_MS + 15_000,
      );
    const aliceBack = back(alice);
    const bobBack = back(bob);
    const lost: string[] = [];
    alice.on('sessionLost', (e) => lost.push(`alice: ${e.message}`));
    bob.on('sessionLost', (e) => lost.push(`bob: ${e.message}`));
    // When the dead node's claim runs out: its node key or the meeting's lease, whichever first.
    const peek = new Redis(TEST_REDIS_URL);
    const ttls = await Promise.all(
      [`node:${hostId}`, `lease:${meetingId}`].map((k) => peek.pttl(redis.prefix + k)),
    );
    peek.disconnect();
    const killedAt = performance.now();
    host.child.kill('SIGKILL');
    await host.exited;
    nodes.delete(hostId);
    const expiresMs = Math.min(...ttls);
    assert.ok(expiresMs > 0 && expiresMs <= LEASE_MS, `claims run out in ${ttls.join('/')} ms`);
    const [[a], [b]] = await Promise.all([aliceBack, bobBack]);
    const failoverMs = performance.now() - killedAt;
    assert.deepEqual(lost, []);
    const newHost = nodeAt(alice.address);
    assert.notEqual(newHost, hostId);
    assert.equal(nodeAt(bob.address), newHost, "both resumed on the meeting's new node");
    // Both are back within 10 s of the lease running out.
    const afterExpiryMs = failoverMs - expiresMs;
    assert.ok(afterExpiryMs < 10_000, `back ${afterExpiryMs} ms after the lease ran out`);
    // Same members, same ids, same meeting; nobody left or joined on the way.
    assert.equal(alice.meeting?.id, meetingId);
    // The member lists may be completed by the events that follow the resume.
    for (let i = 0; i < 50 && (ids(alice) !== before || ids(bob) !== before); i++) await sleep(100);
    assert.equal(ids(alice), before);
    assert.equal(ids(bob), before);
    assert.deepEqual(churn, []);
    // They hear each other again on the new node.
    const heard = waitFor(alice.transport, 'frame', (_f: Buffer, link: string) => link === 'audio');
    await sleep(50);
    for (let i = 1; i <= 5; i++) bob.transport.send('audio', audioFrame(100 + i));
    await heard;
    member = bob;
    console.log(
      `      killed node ${hostId}; both members resumed on node ${newHost} after ` +
        `${failoverMs.toFixed(0)} ms, ${afterExpiryMs.toFixed(0)} ms after its lease ran out ` +
        `(lease ${LEASE_MS} ms; alice ${a.attempts} attempts, ` +
        `${a.downMs} ms down; bob ${b.attempts} attempts, ${b.downMs} ms down)`,
    );
  });

  it('a node stopped with SIGTERM hands its meetings over at once', async () => {
    const watcher = member as MeetingClient;
    const hostId = nodeAt(watcher.address);
    const host = nodes.get(hostId) as ServerProcess;
    const [survivorId, survivor] = [...nodes].find(([id]) => id !== hostId) as [
      string,
      ServerProcess,
    ];
    const away = waitFor(watcher, 'goingAway');
    const sent = performance.now();
    host.child.kill('SIGTERM');
    await away;
    const exit = await host.exited;
    nodes.delete(hostId);
    assert.equal(exit.code, 0);
    assert.ok(exit.at - sent < 5000, `exited after ${exit.at - sent} ms`);
    // No lease to wait for: the first join on the survivor opens the meeting there.
    const c = await client(survivor, { media: false });
    await c.login('alice', 'correct horse');
    await c.joinMeeting(meetingId);
    const ms = performance.now() - sent;
    assert.equal(nodeAt(c.address), survivorId);
    assert.ok(ms < LEASE_MS, `back after ${ms} ms`);
    console.log(
      `      SIGTERM node ${hostId}: exit ${(exit.at - sent).toFixed(0)} ms; meeting open on ` +
        `node ${survivorId} ${ms.toFixed(0)} ms after the signal`,
    );
  });

  it('is not ready while its Redis is down, refuses logins then, and recovers', async () => {
    // A private Redis this test can stop: the shared one stays up for everyone else.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const startRedis = async (): Promise<ReturnType<typeof spawn>> => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      for (let i = 0; i < 50; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.on('error', () => resolve(false));
        });
        if (up) return child;
        await sleep(100);
      }
      throw new Error('private redis-server did not start');
    };
    let redisProc = await startRedis();
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-node-z-'));
    dirs.push(data);
    const node = await startServerProcess([
      ...['--db', db.url, '--data', data, '--cluster', `redis://127.0.0.1:${port}`],
      ...['--node-id', 'z', '--metrics-port', '0'],
    ]);
    nodes.set('z', node);
    const ready = async (): Promise<number> =>
      (await httpGet(node.metricsPort as number, '/readyz')).status;
    try {
      assert.equal(await ready(), 200);
      redisProc.kill('SIGKILL');
      const deadline = Date.now() + 5000;
      while ((await ready()) !== 503) {
        if (Date.now() > deadline) throw new Error('/readyz stayed 200 without Redis');
        await sleep(100);
      }
      const c = await client(node, { media: false });
      await assert.rejects(c.login('alice', 'correct horse'), { code: ErrorCode.SERVER_BUSY });
      redisProc = await startRedis();
      const back = Date.now() + 10_000;
      while ((await ready()) !== 200) {
        if (Date.now() > back) throw new Error('/readyz did not recover with Redis');
        await sleep(100);
      }
      const d = await client(node, { media: false });
      await d.login('alice', 'correct horse');
    } finally {
      redisProc.kill('SIGKILL');
    }
  });
});
