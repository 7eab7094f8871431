import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MediaError } from '../../../client/media/errors';
import { WavWriter } from '../../../client/media/playout/WavWriter';
import {
  encodeWav,
  parseWav,
  readWavFile,
  wavHeader,
  writeWavFile,
} from '../../../client/media/wav';
import { makeTempDir, sine } from './helpers';
import { soxWav } from '../../helpers/media';

function isBadWav(error: unknown): boolean {
  assert.ok(error instanceof MediaError, `expected MediaError, got ${String(error)}`);
  assert.equal(error.code, 'ERR_MEDIA_BAD_WAV');
  return true;
}

/** A RIFF file from chunks [id, body]. */
function riff(chunks: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [id, body] of chunks) {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    parts.push(head, body);
    if (body.length & 1) parts.push(Buffer.alloc(1));
  }
  const content = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(content.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, content]);
}

function fmtChunk(channels: number, rate: number, bits: number, format = 1): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

describe('wav', function () {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(function () {
    tmp = makeTempDir('wav');
  });
  afterEach(function () {
    tmp.cleanup();
  });

  it('write -> read round-trips samples, rate and channels', function () {
    const samples = sine(440, 4801);
    samples[0] = -32768;
    samples[1] = 32767;
    const file = path.join(tmp.dir, 'a.wav');
    writeWavFile(file, samples, 48_000, 1);
    assert.equal(fs.statSync(file).size, 44 + samples.length * 2);
    const back = readWavFile(file);
    assert.equal(back.sampleRate, 48_000);
    assert.equal(back.channels, 1);
    assert.deepEqual(back.samples, samples);
  });

  it('writes a header sox accepts', function () {
    const file = path.join(tmp.dir, 'b.wav');
    writeWavFile(file, sine(440, 9600), 48_000, 1);
    const info = execFileSync('soxi', [file], { encoding: 'utf8' });
    assert.match(info, /Sample Rate\s*: 48000/);
    assert.match(info, /Channels\s*: 1/);
    assert.match(info, /9600 samples/);
  });

  it('reads what sox writes', function () {
    const file = path.join(tmp.dir, 'sox.wav');
    soxWav(file, 'synth 0.1 sine 300', 22_050, 2);
    const wav = readWavFile(file);
    assert.equal(wav.sampleRate, 22050);
    assert.equal(wav.channels, 2);
    assert.equal(wav.samples.length, 2205 * 2);
  });

  it('skips other chunks, honours odd-size padding, and reads a data chunk at an odd offset', function () {
    const pcm = Buffer.from(new Int16Array([1, -2, 300, -32768]).buffer);
    const file = riff([
      ['fmt ', fmtChunk(1, 48_000, 16)],
      ['LIST', Buffer.from('odd')],
      ['data', pcm],
    ]);
    assert.deepEqual(Array.from(parseWav(file).samples), [1, -2, 300, -32768]);
    // a data chunk starting at an odd offset inside a larger buffer
    const shifted = Buffer.concat([Buffer.alloc(1), file]).subarray(1);
    assert.deepEqual(Array.from(parseWav(shifted).samples), [1, -2, 300, -32768]);
  });

  it('cuts a data chunk whose declared size runs past the end (streaming writers)', function () {
    const file = encodeWav(new Int16Array([5, 6, 7]), 48_000);
    file.writeUInt32LE(0xffffffff, 40);
    assert.deepEqual(Array.from(parseWav(file).samples), [5, 6, 7]);
    assert.deepEqual(Array.from(parseWav(file.subarray(0, file.length - 1)).samples), [5, 6]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM', function () {
    const ext = Buffer.alloc(40);
    fmtChunk(1, 48_000, 16, 0xfffe).copy(ext);
    ext.writeUInt16LE(22, 16);
    ext.writeUInt16LE(16, 18);
    ext.writeUInt16LE(1, 24); // sub-format GUID starts with the PCM format code
    const file = riff([
      ['fmt ', ext],
      ['data', Buffer.from(new Int16Array([9, -9]).buffer)],
    ]);
    assert.deepEqual(Array.from(parseWav(file).samples), [9, -9]);
  });

  it('rejects malformed and unsupported files with ERR_MEDIA_BAD_WAV', function () {
    const data: [string, Buffer] = ['data', Buffer.alloc(4)];
    assert.throws(() => parseWav(Buffer.alloc(8)), isBadWav);
    assert.throws(() => parseWav(Buffer.from('RIFF\0\0\0\0AVI LIST')), isBadWav);
    assert.throws(() => parseWav(riff([data])), isBadWav); // data before fmt
    assert.throws(() => parseWav(riff([['fmt ', fmtChunk(1, 48_000, 8)], data])), isBadWav);
    assert.throws(() => parseWav(riff([['fmt ', fmtChunk(1, 48_000, 16, 3)], data])), isBadWav);
    assert.throws(() => parseWav(riff([['fmt ', fmtChunk(1, 48_000, 16)]])), isBadWav); // no data
    assert.throws(() => parseWav(riff([['fmt ', Buffer.alloc(8)], data])), isBadWav); // short fmt
    const truncatedFmt = riff([['fmt ', fmtChunk(1, 48_000, 16)]]).subarray(0, 30);
    assert.throws(() => parseWav(truncatedFmt), isBadWav);
  });

  it('a missing file is ERR_MEDIA_OPEN_FAILED', function () {
    assert.throws(() => readWavFile(path.join(tmp.dir, 'none.wav')), {
      code: 'ERR_MEDIA_OPEN_FAILED',
    });
  });

  it('wavHeader rejects sizes a RIFF header cannot hold', function () {
    assert.throws(() => wavHeader(2 ** 32, 48_000, 1), RangeError);
  });

  it('WavWriter streams samples and finalises the header on close', function () {
    const file = path.join(tmp.dir, 'stream.wav');
    const writer = new WavWriter(file, 48_000, 1);
    // before close the header says 0 bytes of data
    assert.equal(fs.readFileSync(file).readUInt32LE(40), 0);
    const a = sine(440, 960);
    const b = sine(880, 960);
    writer.write(a);
    writer.write(b.subarray(100, 700)); // a view with an offset
    assert.equal(writer.frames, 1560);
    writer.close();
    writer.close(); // idempotent
    assert.equal(writer.closed, true);
    const buf = fs.readFileSync(file);
    assert.equal(buf.readUInt32LE(4), 36 + 1560 * 2);
    assert.equal(buf.readUInt32LE(40), 1560 * 2);
    const back = readWavFile(file);
    assert.deepEqual(back.samples.subarray(0, 960), a);
    assert.deepEqual(back.samples.subarray(960), b.subarray(100, 700));
    assert.throws(() => writer.write(a), { code: 'ERR_MEDIA_CLOSED' });
  });
});
