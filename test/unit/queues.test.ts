/**
 * Outgoing-queue policies over a real TCP pair whose reader stalls: audio is fair between senders
 * and bounded in time; video keeps the newest frame of each sender's source.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  AUDIO_FRAME_MS,
  MAX_FRAME_SIZE,
  MediaKind,
  RELAY_AUDIO_QUEUE_MS,
  RELAY_VIDEO_QUEUE_BYTES,
} from '../../common/constants';
import { FrameDecoder } from '../../common/framing';
import { FramedSocket } from '../../common/FramedSocket';
import { decodeMediaFrame, encodeMediaFrame } from '../../common/media';
import { AudioQueue } from '../../server/queues/AudioQueue';
import { VideoQueue } from '../../server/queues/VideoQueue';
import { RoomObserver } from '../../server/RoomObserver';
import { sleep } from '../helpers/server';

interface Pair {
  sender: FramedSocket;
  reader: net.Socket;
  received: () => Array<{ sender: number; sequence: number; source: number }>;
  close: () => void;
}

/** A loopback TCP pair: the server side framed, the client side paused until `reader.resume()`. */
async function pair(max: number): Promise<Pair> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const reader = net.connect({ host: '127.0.0.1', port });
  reader.pause();
  const sender = new FramedSocket(await accepted, max);
  const decoder = new FrameDecoder(max);
  const frames: Buffer[] = [];
  reader.on('data', (c: Buffer) => frames.push(...decoder.push(c).map((f) => Buffer.from(f))));
  return {
    sender,
    reader,
    received: () =>
      frames.map((f) => {
        const { header } = decodeMediaFrame(f, max);
        return { sender: header.sender, sequence: header.sequence, source: header.source };
      }),
    close: () => {
      reader.destroy();
      sender.destroy('done');
      server.close();
    },
  };
}

function frame(
  kind: 'audio' | 'video',
  sender: number,
  sequence: number,
  bytes: number,
  source = 0,
): Buffer {
  return encodeMediaFrame(
    {
      kind: kind === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO,
      source,
      flags: 0,
      sender,
      sequence,
      timestamp: sequence,
    },
    Buffer.alloc(bytes),
    MAX_FRAME_SIZE[kind],
  );
}

/** Writes filler until the kernel's buffers are full and the socket holds bytes of its own. */
async function fill(p: Pair, kind: 'audio' | 'video'): Promise<number> {
  let n = 0;
  while (p.sender.queuedBytes === 0) {
    for (let i = 0; i < 64; i++) p.sender.writeFrame(frame(kind, 99, ++n, 1000));
    await sleep(1);
  }
  return n;
}

describe('outgoing queues', function () {
  this.timeout(20_000);

  it("audio: a flooding sender loses its own frames, not another sender's", async () => {
    const p = await pair(MAX_FRAME_SIZE.audio);
    const observer = new RoomObserver();
    const drops: number[] = [];
    observer.on('dropped', (_kind, _reason, senderId) => drops.push(senderId));
    const q = new AudioQueue('audio', p.sender, observer);
    const filler = await fill(p, 'audio');
    // While the receiver stalls: the flooder sends 200 large frames, the speaker 8 small ones.
    for (let i = 1; i <= 200; i++) {
      q.push(frame('audio', 1, i, 3000), 1);
      if (i % 25 === 0) q.push(frame('audio', 2, i / 25, 100), 2);
    }
    const perSender = RELAY_AUDIO_QUEUE_MS / AUDIO_FRAME_MS;
    p.reader.resume();
    await sleep(500);
    const got = p.received().filter((f) => f.sender !== 99);
    q.close();
    p.close();
    const speaker = got.filter((f) => f.sender === 2).map((f) => f.sequence);
    const flooder = got.filter((f) => f.sender === 1).map((f) => f.sequence);
    assert.ok(filler > 0);
    assert.deepEqual(speaker, [1, 2, 3, 4, 5, 6, 7, 8], "every one of the speaker's frames");
    assert.ok(flooder.length <= perSender, `${flooder.length} flood frames kept`);
    assert.deepEqual(
      flooder,
      Array.from({ length: flooder.length }, (_, i) => 200 - flooder.length + 1 + i),
      'the flooder keeps only its newest frames',
    );
    assert.ok(
      drops.length >= 200 - perSender && drops.every((id) => id === 1),
      "drops are the flooder's",
    );
  });

  it('video: only the newest waiting frame of each sender and source is kept', async () => {
    const p = await pair(MAX_FRAME_SIZE.video);
    const q = new VideoQueue('video', p.sender, new RoomObserver());
    // Back the socket up to the video bound with big frames (the kernel's buffers fill first).
    for (let i = 0; p.sender.queuedBytes < RELAY_VIDEO_QUEUE_BYTES && i < 10_000; i++)
      q.push(frame('video', 99, i, 60_000), 99);
    assert.ok(p.sender.queuedBytes >= RELAY_VIDEO_QUEUE_BYTES, 'the socket is backed up');
    for (let i = 1; i <= 5; i++) {
      q.push(frame('video', 1, i, 1000, 0), 1);
      q.push(frame('video', 1, 100 + i, 1000, 1), 1);
      q.push(frame('video', 2, i, 1000, 0), 2);
    }
    p.reader.resume();
    await sleep(500);
    const got = p.received().filter((f) => f.sender !== 99);
    q.close();
    p.close();
    assert.deepEqual(got.map((f) => `${f.sender}/${f.source}/${f.sequence}`).sort(), [
      '1/0/5',
      '1/1/105',
      '2/0/5',
    ]);
  });
});
