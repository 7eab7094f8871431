/**
 * FramedSocket's two ways out over a real loopback TCP pair: `queueFrame` coalesces the frames of
 * one event-loop turn into one write per socket (the relay's fan-out), `writeFrame` writes at once
 * and keeps the order with what is queued; close flushes a batch, destroy drops it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import {
  COALESCE_MAX_BYTES,
  FrameType,
  RELAY_AUDIO_SOCKET_SLACK_BYTES,
} from '../../common/constants';
import { FramedSocket } from '../../common/FramedSocket';
import { FrameDecoder, encodeFrame } from '../../common/framing';
import { sleep } from '../helpers/server';

const MAX = 64 * 1024;

interface Pair {
  framed: FramedSocket;
  /** Calls of the underlying socket's write (one per system call while the kernel keeps up). */
  writes: () => number;
  /** Payloads received at the other end, as strings, in order. */
  received: () => string[];
  peerClosed: Promise<void>;
  close: () => void;
}

async function pair(): Promise<Pair> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const peer = net.connect({ host: '127.0.0.1', port });
  const socket = await accepted;
  let writes = 0;
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  socket.write = ((chunk: Buffer) => {
    writes++;
    return write(chunk);
  }) as typeof socket.write;
  const framed = new FramedSocket(socket, MAX);
  const decoder = new FrameDecoder(MAX);
  const got: string[] = [];
  peer.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) got.push(f.subarray(5).toString());
  });
  const peerClosed = new Promise<void>((r) => peer.once('close', () => r()));
  peer.on('end', () => peer.end());
  return {
    framed,
    writes: () => writes,
    received: () => got,
    peerClosed,
    close: () => {
      peer.destroy();
      framed.destroy('done');
      server.close();
    },
  };
}

const frame = (text: string): Buffer => encodeFrame(FrameType.MEDIA, Buffer.from(text), MAX);
const texts = (n: number, prefix = 'f'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('FramedSocket coalescing', () => {
  it('the frames queued in one turn go out in one write, in order, when the turn ends', async () => {
    const p = await pair();
    for (const t of texts(20)) p.framed.queueFrame(frame(t));
    assert.equal(p.writes(), 0, 'nothing written before the turn ends');
    assert.ok(p.framed.queuedBytes > 0 && p.framed.unsentBytes === 0, 'batched, not handed over');
    await sleep(50);
    assert.equal(p.writes(), 1, 'one write for the turn');
    assert.equal(p.framed.queuedBytes, 0);
    assert.deepEqual(p.received(), texts(20));
    p.close();
  });

  it('writeFrame goes after what is queued; a batch that would pass the cap is written first', async () => {
    const p = await pair();
    p.framed.queueFrame(frame('a'));
    p.framed.queueFrame(frame('b'));
    p.framed.writeFrame(frame('now'));
    p.framed.queueFrame(frame('c'));
    assert.equal(p.writes(), 2, 'the batch, then the frame written at once');
    // Frames of ~1 KB: the batch never holds more than COALESCE_MAX_BYTES.
    const big = texts(3 * Math.ceil(COALESCE_MAX_BYTES / 1000), 'x'.repeat(1000));
    for (const t of big) {
      p.framed.queueFrame(frame(t));
      assert.ok(p.framed.queuedBytes <= COALESCE_MAX_BYTES + 1100, 'the batch stays bounded');
    }
    await sleep(50);
    assert.deepEqual(p.received(), ['a', 'b', 'now', 'c', ...big]);
    assert.ok(p.writes() >= 2 + 3 && p.writes() < 2 + big.length, `${p.writes()} writes`);
    p.close();
  });

  it('close flushes the batch before ending; destroy drops it', async () => {
    const p = await pair();
    p.framed.queueFrame(frame('last words'));
    p.framed.close('bye');
    await p.peerClosed;
    assert.deepEqual(p.received(), ['last words']);
    p.close();

    const q = await pair();
    q.framed.queueFrame(frame('never'));
    q.framed.destroy('gone');
    await sleep(50);
    assert.equal(q.writes(), 0);
    assert.deepEqual(q.received(), []);
    q.close();
  });

  it('over TLS, a batch the kernel took stays unconfirmed for a turn, under the audio slack', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    const server = tls.createServer({ key: pems.private, cert: pems.cert });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<tls.TLSSocket>((r) => server.once('secureConnection', r));
    const peer = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const framed = new FramedSocket(await accepted, MAX);
    const decoder = new FrameDecoder(MAX);
    const got: string[] = [];
    peer.on('data', (c: Buffer) => {
      for (const f of decoder.push(c)) got.push(f.subarray(5).toString());
    });
    for (const t of texts(20)) framed.queueFrame(frame(t));
    await new Promise((r) => setImmediate(r)); // runs right after the turn's flush
    assert.ok(framed.unsentBytes > 0, 'the TLS socket has not confirmed the write yet');
    assert.ok(framed.unsentBytes < RELAY_AUDIO_SOCKET_SLACK_BYTES, 'one batch: not a backlog');
    await sleep(100);
    assert.deepEqual(got, texts(20));
    assert.equal(framed.unsentBytes, 0);
    peer.destroy();
    framed.destroy('done');
    server.close();
  });
});
