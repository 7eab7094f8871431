import assert from 'node:assert/strict';
import { PcmChunker } from '../../../client/media/capture/PcmChunker';
import { pcmBytes } from '../../../client/media/wav';
import { concat, sine } from './helpers';

function run(bytes: Buffer, sizes: () => number): Int16Array[] {
  const frames: Int16Array[] = [];
  const chunker = new PcmChunker(960, (f) => frames.push(f));
  for (let i = 0; i < bytes.length;) {
    const n = Math.min(bytes.length - i, sizes());
    chunker.push(bytes.subarray(i, i + n));
    i += n;
  }
  return frames;
}

describe('PcmChunker', function () {
  const samples = sine(440, 960 * 10 + 123, -1);
  samples[5] = -32768;
  samples[6] = 32767;
  samples[7] = -1;
  const bytes = Buffer.from(pcmBytes(samples));

  it('cuts coalesced chunks into exact frames', function () {
    const frames = run(bytes, () => 1920 * 3 + 7);
    assert.equal(frames.length, 10);
    assert.ok(frames.every((f) => f.length === 960));
    assert.deepEqual(concat(frames), samples.subarray(0, 9600));
  });

  it('reassembles samples split across chunks of any size, odd ones and single bytes included', function () {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return 1 + (seed % 777);
    };
    assert.deepEqual(concat(run(bytes, random)), samples.subarray(0, 9600));
    assert.deepEqual(concat(run(bytes, () => 1)), samples.subarray(0, 9600));
    assert.deepEqual(concat(run(bytes, () => 3)), samples.subarray(0, 9600));
  });

  it('hands out a new array per frame and keeps the remainder pending', function () {
    const frames: Int16Array[] = [];
    const chunker = new PcmChunker(4, (f) => frames.push(f));
    chunker.push(Buffer.from(pcmBytes(new Int16Array([1, 2, 3, 4, 5]))));
    assert.equal(chunker.pendingSamples, 1);
    chunker.push(Buffer.from([0x06])); // half a sample
    chunker.push(Buffer.from([0x00, 7, 0, 8, 0]));
    assert.deepEqual(
      frames.map((f) => Array.from(f)),
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    );
    assert.notEqual(frames[0], frames[1]);
    chunker.push(Buffer.from([9]));
    chunker.reset();
    assert.equal(chunker.pendingSamples, 0);
    chunker.push(Buffer.from(pcmBytes(new Int16Array([10, 11, 12, 13]))));
    assert.deepEqual(Array.from(frames[2]), [10, 11, 12, 13]);
  });
});
