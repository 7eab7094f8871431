/**
 * File transfers in parts: the chunk codec (bounds, split and coalesced input through the framing
 * layer), the file-name sanitiser, and the LosslessQueue over a real TCP pair whose reader stalls
 * (the producer waits; nothing is dropped; memory stays at the mark).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { FILE_NAME_MAX_BYTES, FrameType, MAX_FRAME_SIZE } from '../../common/constants';
import { DecodeError, EncodeError } from '../../common/errors';
import {
  decodeFileChunk,
  encodeFileChunk,
  sanitizeFileName,
  sanitizeMime,
} from '../../common/files';
import { FrameDecoder } from '../../common/framing';
import { FramedSocket } from '../../common/FramedSocket';
import { LosslessQueue } from '../../server/queues';
import { sleep } from '../helpers/server';

describe('file chunk codec', () => {
  it('round-trips through the framing layer, split and coalesced', () => {
    const a = encodeFileChunk(7, 2 ** 40, Buffer.from('hello'), MAX_FRAME_SIZE.files);
    const b = encodeFileChunk(8, 0, Buffer.alloc(0), MAX_FRAME_SIZE.files);
    const bytes = Buffer.concat([a, b]);
    const decoder = new FrameDecoder(MAX_FRAME_SIZE.files);
    const frames = [...decoder.push(bytes.subarray(0, 9)), ...decoder.push(bytes.subarray(9))];
    assert.equal(frames.length, 2);
    const one = decodeFileChunk(frames[0] as Buffer);
    assert.deepEqual([one.fileId, one.offset, one.data.toString()], [7, 2 ** 40, 'hello']);
    const two = decodeFileChunk(frames[1] as Buffer);
    assert.deepEqual([two.fileId, two.offset, two.data.length], [8, 0, 0]);
  });

  it('refuses truncated, mistyped, oversized and out-of-range chunks', () => {
    const ok = encodeFileChunk(1, 0, Buffer.from('x'), MAX_FRAME_SIZE.files);
    assert.throws(() => decodeFileChunk(ok.subarray(0, 10)), DecodeError);
    const mistyped = Buffer.from(ok);
    mistyped[4] = FrameType.MEDIA;
    assert.throws(() => decodeFileChunk(mistyped), DecodeError);
    const huge = Buffer.from(ok);
    huge.writeBigUInt64BE(2n ** 60n, 9);
    assert.throws(() => decodeFileChunk(huge), /offset too big/);
    assert.throws(() => encodeFileChunk(1, 0, Buffer.alloc(100), 50), EncodeError);
    assert.throws(() => encodeFileChunk(-1, 0, Buffer.alloc(1), 50), TypeError);
    assert.throws(() => encodeFileChunk(1, 0.5, Buffer.alloc(1), 50), TypeError);
  });
});

describe('file names', () => {
  it('drops folders, control and bidi characters, reserved names, and cuts long names', () => {
    const cases: Array<[string, string | null]> = [
      ['report.pdf', 'report.pdf'],
      ['../../../etc/passwd', 'passwd'],
      ['..\\..\\boot.ini', 'boot.ini'],
      ['/abs/path/x.txt', 'x.txt'],
      ['C:\\Users\\me\\x.txt', 'x.txt'],
      ['a\u0000b', 'ab'],
      ['tab\there\nnl', 'tabherenl'],
      ['COM1', '_COM1'],
      ['Nul.txt', '_Nul.txt'],
      ['lpt9.a.b', '_lpt9.a.b'],
      ['console.txt', 'console.txt'],
      ['x:y*z?.txt', 'x_y_z_.txt'],
      ['..', null],
      ['.', null],
      ['', null],
      ['/', null],
      ['\u0001\u0002', null],
      ['name. . .', 'name'],
      ['...hidden', 'hidden'],
      ['e\u0301cole.txt', '\u00e9cole.txt'],
    ];
    for (const [raw, safe] of cases) assert.equal(sanitizeFileName(raw), safe, JSON.stringify(raw));
    const long = sanitizeFileName(`${'字'.repeat(200)}.tar.gz`) as string;
    assert.ok(Buffer.byteLength(long) <= FILE_NAME_MAX_BYTES && long.endsWith('.gz'));
    assert.ok(!long.includes('\ufffd'), 'no character cut in half');
  });

  it('keeps well-formed MIME types only', () => {
    assert.equal(sanitizeMime('Application/PDF'), 'application/pdf');
    assert.equal(sanitizeMime('text/html; charset=utf-8'), 'application/octet-stream');
    assert.equal(sanitizeMime(undefined), 'application/octet-stream');
    assert.equal(sanitizeMime('x'.repeat(200) + '/y'), 'application/octet-stream');
  });
});

describe('LosslessQueue', () => {
  it('makes the producer wait while the reader stalls, then delivers every frame in order', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const reader = net.connect({ host: '127.0.0.1', port });
    reader.pause();
    const socket = new FramedSocket(await accepted, MAX_FRAME_SIZE.files);
    const queue = new LosslessQueue(socket, 256 * 1024);
    const decoder = new FrameDecoder(MAX_FRAME_SIZE.files);
    const got: number[] = [];
    reader.on('data', (c: Buffer) => {
      for (const f of decoder.push(c)) got.push(decodeFileChunk(f).offset);
    });
    const data = Buffer.alloc(64 * 1024);
    let sent = 0;
    let maxQueued = 0;
    const producer = (async () => {
      for (let i = 0; i < 400; i++) {
        await queue.send(encodeFileChunk(1, i, data, MAX_FRAME_SIZE.files));
        sent++;
        maxQueued = Math.max(maxQueued, queue.queuedBytes);
      }
    })();
    await sleep(300);
    const stalledAt = sent;
    assert.ok(stalledAt < 400, 'the producer waits while nobody reads');
    assert.ok(
      maxQueued <= 256 * 1024 + 70 * 1024,
      `queued at most the mark plus a frame: ${maxQueued}`,
    );
    reader.resume();
    await producer;
    await sleep(100);
    assert.deepEqual(
      got,
      Array.from({ length: 400 }, (_, i) => i),
    );
    // A closed link fails a waiting producer instead of leaving it hanging.
    reader.pause();
    const stuck = (async () => {
      for (;;) await queue.send(encodeFileChunk(1, 0, data, MAX_FRAME_SIZE.files));
    })();
    await sleep(100);
    socket.destroy('test over');
    await assert.rejects(stuck, /closed/);
    reader.destroy();
    server.close();
  });
});
