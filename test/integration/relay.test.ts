/**
 * The media relay with real sockets: frames reach every other member of the room unchanged but for
 * the stamped sender, nothing leaks to other rooms or is taken from the wrong link, and a receiver
 * that stops reading costs the server a bounded queue (newest video frame kept, late audio dropped)
 * without slowing anybody else down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AUDIO_FRAME_MS,
  MAX_FRAME_SIZE,
  MediaFlag,
  MediaKind,
  MediaSource,
  RELAY_AUDIO_QUEUE_MS,
} from '../../common/constants';
import {
  decodeMediaFrame,
  encodeMediaFrame,
  stampSender,
  type MediaHeader,
} from '../../common/media';
import type { MeetingClient } from '../../client/MeetingClient';
import type { Member } from '../../server/Member';

import { collect, sleep, startTestServer, type TestServer } from '../helpers/server';

const UNCAPPED = {
  audio: { bytesPerSecond: 1 << 30, burstBytes: 1 << 26 },
  video: { bytesPerSecond: 1 << 30, burstBytes: 1 << 26 },
};

type LinkName = 'audio' | 'video';

interface Received {
  link: LinkName;
  header: MediaHeader;
  /** The whole frame as it came off the link (prefix included), when kept. */
  raw: Buffer | null;
}

/**
 * Every media frame a client receives, in arrival order: the decoded header, and the bytes only
 * with `keepBytes` (so long runs do not hold every payload and skew the memory figures).
 */
function receive(client: MeetingClient, keepBytes = false): Received[] {
  const seen: Received[] = [];
  client.transport.on('frame', (frame, link) => {
    const { header } = decodeMediaFrame(frame, MAX_FRAME_SIZE[link]);
    seen.push({ link, header, raw: keepBytes ? Buffer.from(frame) : null });
  });
  return seen;
}

/** Polls `condition` every 10 ms; rejects naming `what` after `ms`. */
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

function header(
  kind: 'audio' | 'video',
  sequence: number,
  timestamp = sequence * 1000,
): MediaHeader {
  return kind === 'audio'
    ? {
        kind: MediaKind.AUDIO,
        source: MediaSource.MICROPHONE,
        flags: MediaFlag.TALK_START,
        sender: 0,
        sequence,
        timestamp,
      }
    : {
        kind: MediaKind.VIDEO,
        source: MediaSource.CAMERA,
        flags: MediaFlag.KEYFRAME,
        sender: 0,
        sequence,
        timestamp,
      };
}

function frame(kind: 'audio' | 'video', sequence: number, payload: Buffer): Buffer {
  return encodeMediaFrame(header(kind, sequence), payload, MAX_FRAME_SIZE[kind]);
}

function sequences(frames: Received[], link: LinkName): number[] {
  return frames.filter((f) => f.link === link).map((f) => f.header.sequence);
}

function strictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] as number));
}

/** Sends `kind` frames from `client` every `intervalMs` until stopped; counts what it sent. */
class Publisher {
  /** Sequence of the last frame sent (numbering goes on from `after`). */
  lastSequence: number;
  readonly #timer: NodeJS.Timeout;

  constructor(
    client: MeetingClient,
    kind: 'audio' | 'video',
    payload: Buffer,
    intervalMs: number,
    { perTick = 1, after = 0 } = {},
  ) {
    this.lastSequence = after;
    this.#timer = setInterval(() => {
      for (let i = 0; i < perTick; i++)
        client.transport.send(kind, frame(kind, ++this.lastSequence, payload));
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Stops reading a client's media links, as a receiver on a stalled network would. */
function pauseMedia(client: MeetingClient, links: LinkName[]): void {
  for (const link of links) client.transport.linkForTests(link)?.socket.pause();
}

function resumeMedia(client: MeetingClient, links: LinkName[]): void {
  for (const link of links) client.transport.linkForTests(link)?.socket.resume();
}

/** Bytes of memory outside the JS heap plus resident size (the server shares this process). */
function memory(): { rss: number; buffers: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, buffers: m.external + m.arrayBuffers };
}

const MB = 1024 * 1024;

describe('media relay', function () {
  this.timeout(60_000);
  let t: TestServer;

  beforeEach(async () => {
    // These tests are about the receivers' queues: senders' rate caps (tested elsewhere) are
    // lifted so that bursts reach a stalled receiver's bounds quickly.
    // Plain TCP: these tests push bursts far above real time to reach the queues' bounds quickly,
    // and a TLS socket holds each write until the next tick (media.test runs real media over TLS).
    t = await startTestServer('sqlite', { limits: { rateCaps: UNCAPPED }, plain: true });
  });
  afterEach(async () => {
    await t.stop();
  });

  async function user(name: string): Promise<MeetingClient> {
    const c = await t.client();
    await c.register(name, 'password1');
    assert.ok(
      c.transport.isOpen('audio') && c.transport.isOpen('video'),
      `${name} attached both media links`,
    );
    return c;
  }

  /** A meeting of `names`, the first one hosting; resolves with the clients and the meeting id. */
  async function meeting(...names: string[]): Promise<{ clients: MeetingClient[]; id: string }> {
    const clients = await Promise.all(names.map((n) => user(n)));
    const id = (await clients[0]!.createMeeting(`Relay ${names.join(' ')}`)).meeting.id;
    for (const c of clients.slice(1)) await c.joinMeeting(id);
    return { clients, id };
  }

  /** The server-side member behind a client (to read its Consumers). */
  function serverMember(meetingId: string, client: MeetingClient): Member {
    const room = t.server.room(meetingId);
    assert.ok(room, 'the room is live on the server');
    const member = [...room.members()].find((m) => m.id === client.session?.memberId);
    assert.ok(member, 'the client is a member of the room');
    return member;
  }

  it('forwards audio and video to every other member, stamped and otherwise unchanged', async () => {
    const {
      clients: [a, b, c],
      id,
    } = await meeting('alice', 'bob', 'carol');
    const d = await user('dave');
    await d.createMeeting('Elsewhere');
    const [atA, atB, atC, atD] = [a!, b!, c!, d].map((x) => receive(x, true));
    const refused = collect<string>(t.server.room(id)!.observer, 'dropped', 1);

    const sentAudio = encodeMediaFrame(
      header('audio', 7, 1_700_000_000_123_456),
      randomBytes(80),
      MAX_FRAME_SIZE.audio,
    );
    const sentVideo = encodeMediaFrame(
      { ...header('video', 3, 1_700_000_000_456_789), source: MediaSource.SCREEN },
      randomBytes(20_000),
      MAX_FRAME_SIZE.video,
    );
    // A screen frame is relayed only once its sender holds the room's screen-share grant.
    a!.transport.send('video', Buffer.from(sentVideo));
    await sleep(300);
    assert.equal(atB!.length + atC!.length, 0, 'no screen frames without a share grant');
    await a!.startScreenShare();
    assert.equal(a!.transport.send('audio', Buffer.from(sentAudio)), true);
    a!.transport.send('video', Buffer.from(sentVideo));
    await until(() => atB!.length === 2 && atC!.length === 2, 'B and C to receive both frames');
    await sleep(300);

    const aliceId = a!.session!.memberId;
    for (const [who, got] of [
      ['bob', atB!],
      ['carol', atC!],
    ] as const) {
      for (const [link, sent] of [
        ['audio', sentAudio],
        ['video', sentVideo],
      ] as const) {
        const f = got.find((r) => r.link === link);
        assert.ok(f?.raw, `${who} received the ${link} frame`);
        const original = decodeMediaFrame(sent, MAX_FRAME_SIZE[link]);
        assert.equal(f.header.sender, aliceId, `${who}: sender stamped with alice's member id`);
        assert.deepEqual(
          { ...f.header, sender: 0 },
          original.header,
          `${who}: ${link} header unchanged`,
        );
        const payload = decodeMediaFrame(f.raw, MAX_FRAME_SIZE[link]).payload;
        assert.ok(payload.equals(original.payload), `${who}: ${link} payload unchanged`);
        // Byte for byte the sent frame but for the sender id.
        const expected = Buffer.from(sent);
        stampSender(expected, aliceId);
        assert.ok(f.raw.equals(expected), `${who}: ${link} frame forwarded as received`);
      }
    }
    assert.equal(atA!.length, 0, 'nothing comes back to the sender');
    assert.equal(atD!.length, 0, 'nothing reaches a member of another meeting');
    assert.deepEqual(refused, ['not-granted'], 'only the screen frame sent before the grant');
  });

  it('relays nothing sent before joining or on the wrong kind of link, and carries on', async () => {
    const {
      clients: [b],
      id,
    } = await meeting('bob');
    const a = await user('alice');
    const atB = receive(b!);

    // Not in a meeting yet: dropped, not kept for later.
    a.transport.send('audio', frame('audio', 1, randomBytes(80)));
    a.transport.send('video', frame('video', 1, randomBytes(10_000)));
    await sleep(300);
    await a.joinMeeting(id);
    await sleep(100);
    assert.equal(atB.length, 0, 'media from outside the meeting is not relayed');

    // Video on the audio link and audio on the video link (both within the audio link's limit).
    const refused = collect<string>(t.server.room(id)!.observer, 'dropped', 1);
    a.transport.send('audio', frame('video', 2, randomBytes(200)));
    a.transport.send('video', frame('audio', 2, randomBytes(80)));
    await until(() => refused.length === 2, 'the relay to reject both frames');
    assert.deepEqual(refused, ['wrong-kind', 'wrong-kind']);
    await sleep(100);
    assert.equal(atB.length, 0, 'media on the wrong link is not relayed');

    // Nothing broke: both links are open and the next frames go through.
    assert.ok(a.transport.isOpen('audio'), 'audio link still open');
    assert.ok(a.transport.isOpen('video'), 'video link still open');
    a.transport.send('audio', frame('audio', 3, randomBytes(80)));
    a.transport.send('video', frame('video', 3, randomBytes(10_000)));
    await until(() => atB.length === 2, 'the valid frames to arrive');
    // The two links are independent streams: compare without their relative order.
    assert.deepEqual(atB.map((f) => `${f.link}:${f.header.kind}:${f.header.sequence}`).sort(), [
      `audio:${MediaKind.AUDIO}:3`,
      `video:${MediaKind.VIDEO}:3`,
    ]);
    assert.equal(a.connected && b!.connected, true);
  });

  it('a stalled receiver gets a bounded queue and the newest video; the others miss nothing', async () => {
    const {
      clients: [a, b, c],
      id,
    } = await meeting('alice', 'bob', 'carol');
    const atB = receive(b!);
    const atC = receive(c!);
    const carol = serverMember(id, c!);
    const carolVideo = carol.queue('video')!;
    const carolAudio = carol.queue('audio')!;
    const audioPayload = randomBytes(100);
    const audioFrameBytes = frame('audio', 0, audioPayload).length;
    const audioBound = (RELAY_AUDIO_QUEUE_MS / AUDIO_FRAME_MS + 1) * audioFrameBytes;

    pauseMedia(c!, ['audio', 'video']);
    const before = memory();
    const video = new Publisher(a!, 'video', randomBytes(50_000), 33);
    const audio = new Publisher(a!, 'audio', audioPayload, 20);
    const peak = { video: 0, audio: 0, rss: before.rss, buffers: before.buffers };
    const sample = (): void => {
      peak.video = Math.max(peak.video, carolVideo.queuedBytes);
      peak.audio = Math.max(peak.audio, carolAudio.queuedBytes);
      const m = memory();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.buffers = Math.max(peak.buffers, m.buffers);
    };
    // The kernel's socket buffers (up to net.ipv4.tcp_wmem's 4 MiB here) fill before the Consumer
    // sees any backlog, so the stall lasts at least 3 s and until video is being dropped.
    const started = Date.now();
    while (
      (Date.now() - started < 3000 || carolVideo.dropped < 20) &&
      Date.now() - started < 15_000
    ) {
      sample();
      await sleep(20);
    }
    const stalledMs = Date.now() - started;
    const droppedWhilePaused = carolVideo.dropped;
    // Taken in the same tick as the resume: what the server had written for C, and the newest frame.
    const backlog = carolVideo.sent;
    const resumedAfter = video.lastSequence;

    resumeMedia(c!, ['audio', 'video']);
    for (const end = Date.now() + 1000; Date.now() < end;) {
      sample();
      await sleep(20);
    }
    video.stop();
    audio.stop();
    const lastVideo = video.lastSequence;
    const lastAudio = audio.lastSequence;
    await until(
      () =>
        sequences(atC, 'video').at(-1) === lastVideo &&
        sequences(atB, 'video').at(-1) === lastVideo,
      'the last video frame to reach B and C',
      10_000,
    );
    await until(
      () => sequences(atC, 'audio').at(-1) === lastAudio,
      'the last audio frame to reach C',
      10_000,
    );
    sample();
    const context = `stalled ${stalledMs} ms, sent ${lastVideo} video / ${lastAudio} audio`;

    // B read normally: everything, in order.
    const bVideo = sequences(atB, 'video');
    const bAudio = sequences(atB, 'audio');
    assert.ok(strictlyIncreasing(bVideo) && strictlyIncreasing(bAudio), 'B: in order');
    assert.ok(
      bVideo.length >= lastVideo * 0.98,
      `B: ${bVideo.length}/${lastVideo} video frames (${context})`,
    );
    assert.ok(
      bAudio.length >= lastAudio * 0.98,
      `B: ${bAudio.length}/${lastAudio} audio frames (${context})`,
    );

    // C's queue in the server stayed bounded while video was dropped.
    assert.ok(droppedWhilePaused > 0, `C: video dropped while paused (${context})`);
    assert.ok(peak.video < 2 * MB, `C: video queue peaked at ${peak.video} bytes (${context})`);
    assert.ok(
      peak.audio <= audioBound,
      `C: audio queue peaked at ${peak.audio} bytes > ${audioBound}`,
    );
    assert.ok(
      peak.rss - before.rss < 256 * MB,
      `rss grew ${((peak.rss - before.rss) / MB).toFixed(1)} MB`,
    );
    assert.ok(
      peak.buffers - before.buffers < 128 * MB,
      `buffers grew ${((peak.buffers - before.buffers) / MB).toFixed(1)} MB`,
    );

    // After resuming, C first gets what the server had already written (kernel and socket buffers:
    // the oldest frames, in order), then the newest frame as of the drain, never one that waited
    // in between.
    const cVideo = sequences(atC, 'video');
    assert.ok(strictlyIncreasing(cVideo), 'C: video in order');
    assert.ok(
      backlog > 0 && backlog < resumedAfter,
      `C: backlog of ${backlog} of ${resumedAfter} frames`,
    );
    assert.deepEqual(
      cVideo.slice(0, backlog),
      Array.from({ length: backlog }, (_, i) => i + 1),
      'C: the backlog arrives whole and in order',
    );
    assert.ok(
      (cVideo[backlog] as number) >= resumedAfter,
      `C: first frame after the backlog is #${cVideo[backlog]}; #${resumedAfter} was sent before resuming`,
    );
    assert.ok(cVideo.filter((s) => s > resumedAfter).length > 10, 'C: receives live video again');
    assert.ok(strictlyIncreasing(sequences(atC, 'audio')), 'C: audio in order');
  });

  it('audio for a stalled receiver is dropped beyond ~200 ms of queue, and flows again after', async () => {
    const {
      clients: [a, b, c],
      id,
    } = await meeting('alice', 'bob', 'carol');
    const atB = receive(b!);
    const atC = receive(c!);
    const carolAudio = serverMember(id, c!).queue('audio')!;
    const bobAudio = serverMember(id, b!).queue('audio')!;
    const payload = randomBytes(1000);
    const frameBytes = frame('audio', 0, payload).length;
    const bound = (RELAY_AUDIO_QUEUE_MS / AUDIO_FRAME_MS + 1) * frameBytes;

    pauseMedia(c!, ['audio']);
    // At 50 frames/s a paused receiver would take minutes to fill the kernel's socket buffers, so
    // this sends a burst (25 frames every 5 ms, ~5 MB/s) to reach the Consumer's bound quickly.
    const audio = new Publisher(a!, 'audio', payload, 5, { perTick: 25 });
    let peak = 0;
    const started = Date.now();
    while (carolAudio.dropped === 0 && Date.now() - started < 15_000) {
      peak = Math.max(peak, carolAudio.queuedBytes);
      await sleep(5);
    }
    const first = carolAudio.dropped;
    for (const end = Date.now() + 500; Date.now() < end;) {
      peak = Math.max(peak, carolAudio.queuedBytes);
      await sleep(5);
    }
    const second = carolAudio.dropped;
    audio.stop();
    const sentWhilePaused = audio.lastSequence;

    assert.ok(first > 0, `C: audio dropped while paused (after ${Date.now() - started} ms)`);
    assert.ok(second > first, `C: drops keep increasing while paused (${first} -> ${second})`);
    assert.ok(peak <= bound, `C: audio queue peaked at ${peak} bytes, bound ${bound}`);
    assert.equal(bobAudio.dropped, 0, 'B, reading, loses no audio');

    resumeMedia(c!, ['audio']);
    const live = new Publisher(a!, 'audio', payload, 20, { after: sentWhilePaused });
    await until(
      () => (sequences(atC, 'audio').at(-1) ?? 0) > sentWhilePaused + 5,
      'C to get live audio',
      10_000,
    );
    live.stop();
    await until(
      () => sequences(atB, 'audio').at(-1) === live.lastSequence,
      'B to get the last frame',
      10_000,
    );
    const cAudio = sequences(atC, 'audio');
    assert.ok(strictlyIncreasing(cAudio), 'C: audio in order');
    assert.ok(cAudio.length < sentWhilePaused, 'C: the dropped frames never arrive');
    const bAudio = sequences(atB, 'audio');
    assert.equal(bAudio.length, live.lastSequence, 'B: every audio frame');
    assert.ok(strictlyIncreasing(bAudio), 'B: audio in order');
  });
});
