import assert from 'node:assert/strict';
import { Mixer } from '../../../client/media/playout/Mixer';
import { sine } from './helpers';

describe('Mixer', function () {
  it('sums frames sample by sample', function () {
    const mixer = new Mixer(4);
    const out = mixer.mix([
      new Int16Array([1, 2, 3, 4]),
      new Int16Array([10, -20, 30, -40]),
      new Int16Array([100]),
    ]);
    assert.deepEqual(Array.from(out), [111, -18, 33, -36]);
    assert.equal(mixer.clippedSamples, 0);
  });

  it('saturates at the Int16 limits instead of wrapping', function () {
    const mixer = new Mixer(4);
    const out = mixer.mix([
      new Int16Array([30000, -30000, 32767, 5]),
      new Int16Array([10000, -10000, 1, -5]),
    ]);
    assert.deepEqual(Array.from(out), [32767, -32768, 32767, 0]);
    assert.equal(mixer.clippedSamples, 3);
  });

  it('mixing nothing is silence; the output buffer is reused unless one is given', function () {
    const mixer = new Mixer();
    const a = mixer.mix([sine(440, 960)]);
    const b = mixer.mix([]);
    assert.equal(a, b);
    assert.ok(b.every((v) => v === 0));
    const mine = new Int16Array(960);
    assert.equal(mixer.mix([sine(440, 960)], mine), mine);
    assert.throws(() => mixer.mix([new Int16Array(961)]), TypeError);
    assert.throws(() => mixer.mix([], new Int16Array(10)), TypeError);
  });

  it('mixes three full-scale speakers without a single wrapped sample', function () {
    const mixer = new Mixer();
    const loud = [sine(300, 960, 0), sine(500, 960, 0), sine(700, 960, 0)];
    const out = mixer.mix(loud);
    for (let i = 0; i < 960; i++) {
      const exact = loud[0][i] + loud[1][i] + loud[2][i];
      assert.equal(out[i], Math.max(-32768, Math.min(32767, exact)));
    }
  });
});
