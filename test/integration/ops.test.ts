/**
 * Operating one node: /metrics counts what the clients did (the exposition text parsed and the
 * numbers asserted), /healthz and /readyz answer, every log line of a request carries its request
 * id and member id, and SIGTERM to a real `meeting server` process with a meeting running exits
 * within 5 s, tells the members first, and loses no acknowledged chat.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { MAX_FRAME_SIZE, MediaFlag, MediaKind, MediaSource } from '../../common/constants';
import { encodeMediaFrame } from '../../common/media';
import { MeetingClient } from '../../client/MeetingClient';
import { openDatabase } from '../../db';
import { createLogger } from '../../server/logger';
import { TEST_DATABASE_KINDS, createTestDatabase } from '../helpers/databases';
import { httpGet, sample, startServerProcess } from '../helpers/processes';
import { KnownServers } from '../../client/trust';
import {
  knownServersFile,
  sleep,
  startTestServer,
  waitFor,
  type TestServer,
} from '../helpers/server';

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
    Buffer.alloc(60, sequence & 0xff),
    MAX_FRAME_SIZE.audio,
  );
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const kind of TEST_DATABASE_KINDS) {
  describe(`operations (${kind})`, function () {
    this.timeout(60_000);

    describe('metrics, health and request logs', () => {
      let t: TestServer;
      const lines: Array<Record<string, unknown>> = [];

      before(async () => {
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString('utf8').split('\n'))
              if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
            done();
          },
        });
        t = await startTestServer(kind, { metricsPort: 0, logger: createLogger('debug', sink) });
      });
      after(() => t.stop());

      it('counts members, meetings, links, logins, requests, relayed frames and timings', async () => {
        const metricsPort = t.server.metricsAddress?.port;
        assert.ok(metricsPort, 'the metrics port is open');
        const a = await t.client();
        const b = await t.client();
        const c = await t.client({ media: false });
        await a.register('alice', 'correct horse');
        await b.register('bobby', 'correct horse');
        await assert.rejects(c.login('alice', 'wrong password'), { code: 'ERR_BAD_CREDENTIALS' });
        const { meeting } = await a.createMeeting('metrics');
        await b.joinMeeting(meeting.id);
        await a.say('hello');
        const got: number[] = [];
        b.transport.on('frame', (_f, link) => link === 'audio' && got.push(1));
        const N = 25;
        for (let i = 1; i <= N; i++) {
          a.transport.send('audio', audioFrame(i));
          await sleep(5);
        }
        await until(() => got.length === N, `${N} audio frames at b`);
        // Frames from a link that is not granted the screen: dropped and counted.
        const screen = audioFrame(99);
        screen[5 + 1] = MediaSource.SCREEN;
        a.transport.send('audio', screen);
        await sleep(100);

        const { status, body } = await httpGet(metricsPort, '/metrics');
        assert.equal(status, 200);
        const m = (name: string, labels: Record<string, string> = {}): number =>
          sample(body, `meeting_${name}`, labels);
        assert.equal(m('members'), 2);
        assert.equal(m('meetings'), 1);
        assert.equal(m('links', { kind: 'control' }), 3);
        assert.equal(m('links', { kind: 'audio' }), 2);
        assert.equal(m('links', { kind: 'video' }), 2);
        assert.equal(m('logins_total', { result: 'ok' }), 2);
        assert.equal(m('logins_total', { result: 'ERR_BAD_CREDENTIALS' }), 1);
        assert.equal(m('requests_total', { type: 'chat', result: 'ok' }), 1);
        assert.equal(m('requests_total', { type: 'joinMeeting', result: 'ok' }), 1);
        assert.equal(m('relayed_frames_total', { kind: 'audio' }), N);
        assert.equal(m('relayed_bytes_total', { kind: 'audio' }), N * audioFrame(1).length);
        assert.equal(m('dropped_frames_total', { kind: 'audio', reason: 'not-granted' }), 1);
        assert.equal(m('relay_latency_seconds_count', { kind: 'audio' }), N);
        assert.equal(m('relay_latency_seconds_bucket', { kind: 'audio', le: '+Inf' }), N);
        // Three hashes and a verification went through the worker pool.
        assert.ok(m('worker_pool_task_seconds_count', { task: 'hashPassword' }) >= 2);
        assert.ok(m('worker_pool_task_seconds_count', { task: 'verifyPassword' }) >= 1);
        assert.ok(m('db_query_seconds_count') > 5);
        assert.ok(m('process_cpu_seconds_total') > 0, 'process metrics');
        // The folded counters keep counting across scrapes.
        a.transport.send('audio', audioFrame(N + 1));
        await until(() => got.length === N + 1, 'one more frame');
        const again = (await httpGet(metricsPort, '/metrics')).body;
        assert.equal(sample(again, 'meeting_relayed_frames_total', { kind: 'audio' }), N + 1);
      });

      it('answers /healthz and /readyz, and 404 elsewhere', async () => {
        const port = t.server.metricsAddress?.port as number;
        assert.deepEqual(await httpGet(port, '/healthz'), { status: 200, body: 'ok\n' });
        assert.equal((await httpGet(port, '/readyz')).status, 200);
        assert.equal((await httpGet(port, '/nope')).status, 404);
      });

      it('puts the request id and the member id on every line about a request', async () => {
        const requests = lines.filter((l) => l.msg === 'request');
        assert.ok(requests.length >= 10, `${requests.length} request lines`);
        for (const l of requests) assert.match(String(l.reqId), /^[0-9a-z]+$/);
        assert.equal(new Set(requests.map((l) => l.reqId)).size, requests.length, 'ids unique');
        const chat = requests.find((l) => l.type === 'chat');
        const login = requests.find((l) => l.type === 'register');
        assert.ok(chat && typeof chat.memberId === 'number', 'chat line names its member');
        assert.ok(login && typeof login.memberId === 'number', 'a login line names the new member');
        const failed = requests.find((l) => l.result === 'ERR_BAD_CREDENTIALS');
        assert.ok(failed && failed.memberId === undefined, 'a failed login has no member');
      });
    });

    describe('graceful shutdown (SIGTERM)', () => {
      it('exits within 5 s with a meeting running, tells members, loses no acknowledged chat', async () => {
        const db = await createTestDatabase(kind);
        const data = (await import('node:fs')).mkdtempSync(
          (await import('node:path')).join((await import('node:os')).tmpdir(), 'meeting-term-'),
        );
        const proc = await startServerProcess(['--db', db.url, '--data', data]);
        const address = { host: '127.0.0.1', port: proc.port };
        // A fresh known-servers file pins the process's certificate; no reconnect after the exit.
        const options = { trust: new KnownServers(knownServersFile()), reconnect: false };
        const a = new MeetingClient(address, options);
        const b = new MeetingClient(address, options);
        try {
          await a.connect();
          await b.connect();
          await a.register('alice', 'correct horse');
          await b.register('bobby', 'correct horse');
          const { meeting } = await a.createMeeting('term');
          await b.joinMeeting(meeting.id);
          const goingAway = waitFor(b, 'goingAway');
          // Chat keeps flowing from both while the signal arrives.
          const acked: number[] = [];
          let refused = 0;
          let stop = false;
          const talk = async (c: MeetingClient, who: string): Promise<void> => {
            for (let i = 0; !stop; i++) {
              try {
                acked.push((await c.say(`${who} ${i}`)).id);
              } catch {
                refused++;
                return;
              }
            }
          };
          const talking = [talk(a, 'a'), talk(b, 'b')];
          await sleep(300);
          const sent = performance.now();
          proc.child.kill('SIGTERM');
          const exit = await proc.exited;
          stop = true;
          await Promise.all(talking);
          const ms = exit.at - sent;
          assert.equal(exit.code, 0, proc.output());
          assert.ok(ms < 5000, `exited after ${ms} ms`);
          await goingAway;
          assert.ok(acked.length > 5, `chat was acknowledged (${acked.length})`);
          const check = await openDatabase({ url: db.url, dataDir: data });
          try {
            const stored = new Set(
              (await check.knex('messages').select('id')).map((r: { id: number }) => r.id),
            );
            const lost = acked.filter((id) => !stored.has(id));
            assert.deepEqual(lost, [], 'every acknowledged message is stored');
          } finally {
            await check.close();
          }
          console.log(
            `      SIGTERM → exit ${ms.toFixed(0)} ms; ${acked.length} acknowledged, ${refused} refused`,
          );
        } finally {
          proc.kill();
          await Promise.allSettled([a.close(), b.close()]);
          await db.cleanup();
        }
      });
    });
  });
}
