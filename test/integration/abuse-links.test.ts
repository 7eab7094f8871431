/**
 * Hostile clients against the links themselves: a client that never reads, a flood of
 * connections, links that never log in. Each abuser is stopped by a limit while a real meeting on
 * the same server goes on undisturbed (chat round trips and audio measured during the abuse).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MAX_FRAME_SIZE, MediaKind } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import { encodeMediaFrame } from '../../common/media';
import { encodeControl } from '../../common/protocol';
import { RawLink, rawMediaLink, rawSession } from '../helpers/raw';
import { sleep, startTestServer, type TestServer } from '../helpers/server';

const MB = 1024 * 1024;

/**
 * A client, as a separate process, that writes 20 MB of valid pings and never reads a reply; it
 * prints how much it wrote and when the server closed the link.
 */
const NEVER_READS = `
const tls = require('node:tls');
const body = Buffer.from(JSON.stringify({ id: 1, type: 'ping', data: { clientTime: 1 } }));
const frame = Buffer.alloc(5 + body.length);
frame.writeUInt32BE(body.length + 1, 0); frame[4] = 1; body.copy(frame, 5);
const batch = Buffer.concat(Array.from({ length: 4096 }, () => frame));
const s = tls.connect({ host: '127.0.0.1', port: Number(process.argv[1]), rejectUnauthorized: false }, () => {
  s.pause();
  const started = Date.now();
  let written = 0;
  while (written < 20 * 1024 * 1024) { s.write(batch); written += batch.length; }
  s.on('error', () => {});
  s.on('close', () => {
    process.stdout.write(JSON.stringify({ written, closedAfterMs: Date.now() - started }));
    process.exit(0);
  });
});
setTimeout(() => process.exit(1), 35000);
`;

function audioFrame(sequence: number, payload = 80): Buffer {
  return encodeMediaFrame(
    { kind: MediaKind.AUDIO, source: 0, flags: 0, sender: 0, sequence, timestamp: sequence },
    Buffer.alloc(payload, sequence & 0xff),
    MAX_FRAME_SIZE.audio,
  );
}

/**
 * A meeting of two real members (raw links, so nothing hides a stall): alice speaks 50 audio
 * frames a second and chats; bob listens. `check()` says what bob missed.
 */
async function liveMeeting(t: TestServer): Promise<{
  sentAudio: () => number;
  heardAudio: () => number;
  chatRoundTrip: () => Promise<number>;
  stop: () => void;
}> {
  const alice = await rawSession(t.port, 'alice');
  const bob = await rawSession(t.port, 'bob');
  const created = await alice.control.request('createMeeting', { name: 'Carry on' });
  const meetingId = (created.data as { meeting: { id: string } }).meeting.id;
  assert.ok((await bob.control.request('joinMeeting', { meetingId })).ok);
  const aliceAudio = await rawMediaLink(t.port, alice.token, 'audio');
  const bobAudio = await rawMediaLink(t.port, bob.token, 'audio');
  let sequence = 0;
  const timer = setInterval(() => aliceAudio.send(audioFrame(++sequence)), 20);
  return {
    sentAudio: () => sequence,
    heardAudio: () => bobAudio.media.length,
    chatRoundTrip: async () => {
      const started = performance.now();
      const reply = await alice.control.request('chat', { text: `ping ${started}` });
      assert.ok(reply.ok, JSON.stringify(reply.error));
      return performance.now() - started;
    },
    stop: () => clearInterval(timer),
  };
}

describe('hostile clients: links', function () {
  this.timeout(60_000);
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  it('a client that writes 20 MB of requests and reads nothing is closed; RSS grows < 32 MiB', async () => {
    t = await startTestServer('sqlite');
    const meeting = await liveMeeting(t);
    await sleep(300);
    const rssBefore = process.memoryUsage.rss();
    // The abuser is its own process, so its unsent bytes do not count against the server's RSS.
    const abuser = spawn(process.execPath, ['-e', NEVER_READS, String(t.port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report = '';
    abuser.stdout.on('data', (c: Buffer) => (report += c.toString()));
    const exited = new Promise<void>((resolve) => abuser.once('exit', () => resolve()));
    let rssPeak = rssBefore;
    const roundTrips: number[] = [];
    const started = Date.now();
    let done = false;
    void exited.then(() => (done = true));
    while (!done && Date.now() - started < 40_000) {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      roundTrips.push(await meeting.chatRoundTrip());
      await sleep(100);
    }
    abuser.kill();
    const heardBefore = meeting.heardAudio();
    await sleep(500);
    meeting.stop();
    const result = JSON.parse(report || '{}') as { written?: number; closedAfterMs?: number };
    const growth = (rssPeak - rssBefore) / MB;
    console.log(
      `      never-reading client: wrote ${((result.written ?? 0) / MB).toFixed(1)} MB, closed ` +
        `by the server after ${result.closedAfterMs ?? '?'} ms; server RSS growth ` +
        `${growth.toFixed(1)} MiB; member chat round trip max ${Math.max(...roundTrips).toFixed(1)} ms; ` +
        `audio ${meeting.heardAudio()}/${meeting.sentAudio()}`,
    );
    assert.ok(
      done && result.closedAfterMs !== undefined,
      'the server closed the never-reading link',
    );
    assert.ok((result.written ?? 0) >= 20 * MB, 'the abuser handed 20 MB to its socket');
    assert.ok(growth < 32, `RSS grew ${growth.toFixed(1)} MiB`);
    assert.ok(meeting.heardAudio() > heardBefore, 'bob still hears alice after the abuse');
    assert.ok(
      meeting.heardAudio() >= meeting.sentAudio() - 5,
      `bob heard ${meeting.heardAudio()} of ${meeting.sentAudio()} audio frames`,
    );
    assert.ok(Math.max(...roundTrips) < 1000, `chat round trips ${roundTrips.join(', ')}`);
  });

  it('holds 2,000 connections from eight addresses to their caps and keeps a meeting going', async () => {
    t = await startTestServer('sqlite', {
      limits: { connectionsPerAddress: 150, connectionsTotal: 1000, authTimeoutMs: 30_000 },
    });
    const meeting = await liveMeeting(t);
    const links: RawLink[] = [];
    const roundTrips: number[] = [];
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      const address = `127.0.0.${2 + (i % 8)}`;
      links.push(await RawLink.open(t.port, address));
      if (i % 100 === 99) {
        roundTrips.push(await meeting.chatRoundTrip());
        peak = Math.max(peak, t.server.connectionCount);
      }
    }
    await sleep(500);
    peak = Math.max(peak, t.server.connectionCount);
    const refused = links.filter(
      (l) =>
        l.isClosed &&
        l
          .events('protocolError')
          .some((e) => (e.data as { code: string }).code === ErrorCode.TOO_MANY_CONNECTIONS),
    ).length;
    const open = links.filter((l) => !l.isClosed).length;
    meeting.stop();
    console.log(
      `      connection flood: 2,000 attempts, ${open} held (server peak ${peak} links), ` +
        `${refused} refused with ERR_TOO_MANY_CONNECTIONS; chat round trip max ` +
        `${Math.max(...roundTrips).toFixed(1)} ms; audio ${meeting.heardAudio()}/${meeting.sentAudio()}`,
    );
    assert.ok(open <= 8 * 150, `${open} held open`);
    assert.ok(peak <= 1000 + 6, `the server held ${peak} links (cap 1,000 + the meeting's)`);
    assert.equal(open + refused, 2000, 'every connection was either held or clearly refused');
    assert.ok(Math.max(...roundTrips) < 1000, `chat round trips ${roundTrips.join(', ')}`);
    assert.ok(meeting.heardAudio() >= meeting.sentAudio() - 10, 'bob heard alice throughout');
    for (const l of links) l.destroy();
  });

  it('connections from one address are capped on their own; another address still gets in', async () => {
    t = await startTestServer('sqlite', { limits: { connectionsPerAddress: 5 } });
    const links = await Promise.all(
      Array.from({ length: 7 }, () => RawLink.open(t.port, '127.0.0.8')),
    );
    await sleep(300);
    const refused = links.filter((l) => l.isClosed);
    assert.equal(refused.length, 2, 'two over the per-address cap');
    for (const l of refused) {
      const [event] = l.events('protocolError');
      assert.equal((event?.data as { code: string }).code, ErrorCode.TOO_MANY_CONNECTIONS);
      assert.match((event?.data as { message: string }).message, /from this address/);
    }
    const other = await RawLink.open(t.port, '127.0.0.9');
    await sleep(200);
    assert.equal(other.isClosed, false, 'another address is not affected');
    // A closed link frees its place.
    links.find((l) => !l.isClosed)!.destroy();
    await sleep(200);
    const again = await RawLink.open(t.port, '127.0.0.8');
    await sleep(200);
    assert.equal(again.isClosed, false, 'a freed place can be taken again');
    for (const l of [...links, other, again]) l.destroy();
  });

  it('a link that only pings is closed at the login deadline with ERR_LOGIN_TIMEOUT', async () => {
    t = await startTestServer('sqlite', { limits: { authTimeoutMs: 600 } });
    const link = await RawLink.open(t.port);
    const pinger = setInterval(() => link.fire('ping'), 100);
    const started = Date.now();
    await Promise.race([link.closed, sleep(5000)]);
    clearInterval(pinger);
    assert.ok(link.isClosed, 'closed');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 500 && elapsed < 2000, `closed after ${elapsed} ms`);
    assert.ok(
      link
        .events('protocolError')
        .some((e) => (e.data as { code: string }).code === ErrorCode.LOGIN_TIMEOUT),
    );
    // A link that logs in in time stays.
    const ok = await rawSession(t.port, 'intime');
    await sleep(900);
    assert.equal(ok.control.isClosed, false);
  });

  it('more requests in flight than the cap are refused, not queued without bound', async () => {
    t = await startTestServer('sqlite', { limits: { requestsInFlight: 4 } });
    const { control } = await rawSession(t.port, 'eager');
    // 200 chat requests in one write: outside a meeting each fails quickly, but they arrive at once.
    const burst = Buffer.concat(
      Array.from({ length: 200 }, (_, i) =>
        encodeControl({ id: 1000 + i, type: 'recentMeetings', data: {} }, 1000),
      ),
    );
    control.send(burst);
    await sleep(1500);
    const replies = control.messages.filter((m) => typeof m.id === 'number' && m.id >= 1000);
    assert.equal(replies.length, 200, 'every request got an answer');
    const limited = replies.filter(
      (m) => (m.error as { code?: string } | undefined)?.code === ErrorCode.RATE_LIMITED,
    );
    assert.ok(limited.length > 0, 'some were refused as over the in-flight cap');
    assert.ok(replies.length - limited.length >= 4, 'the first ones were served');
  });
});
