import assert from 'node:assert/strict';
import { dominantFrequency, peakDbfs, rmsDbfs } from '../../../client/media/analysis';
import { sine } from './helpers';

describe('analysis', function () {
  for (const frequency of [100, 440, 1000, 3150.5]) {
    it(`dominantFrequency finds a ${frequency} Hz tone within 1 Hz`, function () {
      const f = dominantFrequency(sine(frequency, 24_000), 48_000);
      assert.ok(Math.abs(f - frequency) < 1, `measured ${f}`);
    });
  }

  it('dominantFrequency picks the louder of two tones and honours minHz/maxHz', function () {
    const a = sine(300, 16_384, -30);
    const b = sine(2000, 16_384, -10);
    const mixed = a.map((v, i) => v + b[i]);
    assert.ok(Math.abs(dominantFrequency(mixed, 48_000) - 2000) < 1);
    assert.ok(Math.abs(dominantFrequency(mixed, 48_000, { maxHz: 1000 }) - 300) < 1);
  });

  it('dominantFrequency is NaN for silence or a too short input', function () {
    assert.ok(Number.isNaN(dominantFrequency(new Int16Array(4096), 48_000)));
    assert.ok(Number.isNaN(dominantFrequency(sine(440, 32), 48_000)));
  });

  it('rmsDbfs: a sine of -20 dBFS peak measures -23.01 dB RMS; silence is -Infinity', function () {
    assert.ok(Math.abs(rmsDbfs(sine(440, 48_000, -20)) - -23.01) < 0.05);
    assert.ok(Math.abs(rmsDbfs(sine(1000, 48_000, -6)) - -9.01) < 0.05);
    assert.equal(rmsDbfs(new Int16Array(960)), Number.NEGATIVE_INFINITY);
    assert.equal(rmsDbfs(new Int16Array(0)), Number.NEGATIVE_INFINITY);
  });

  it('peakDbfs measures the peak', function () {
    assert.ok(Math.abs(peakDbfs(sine(440, 4800, -20)) - -20) < 0.05);
    assert.equal(peakDbfs(new Int16Array(10)), Number.NEGATIVE_INFINITY);
  });
});
