import assert from 'node:assert/strict';
import { Pacer } from '../../../client/media/capture/Pacer';
import { sleep } from './helpers';

/** Blocks the event loop for `ms`. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('Pacer', function () {
  it('ticks on an absolute schedule: due times are exact multiples and lateness does not add up', async function () {
    const dues: number[] = [];
    const late: number[] = [];
    const pacer = new Pacer(20, (due) => {
      dues.push(due);
      late.push(performance.timeOrigin + performance.now() - due);
    });
    pacer.start();
    await sleep(600);
    pacer.stop();
    dues.forEach((d, i) => assert.ok(Math.abs(d - dues[0] - 20 * i) < 1e-6));
    assert.ok(Math.abs(dues.length - 30) <= 2, `${dues.length} ticks in 600 ms`);
    // a setTimeout-per-tick timer without correction drifts by ~1 ms per tick; this one does not
    const lastLate = late.slice(-5);
    assert.ok(
      Math.max(...lastLate) < 15,
      `late by ${Math.max(...lastLate).toFixed(1)} ms at the end`,
    );
  });

  it('catches up overdue ticks after a blocked event loop (audio), up to maxCatchUp', async function () {
    let ticks = 0;
    const pacer = new Pacer(20, () => ticks++, { maxCatchUp: 10 });
    const t0 = performance.now();
    pacer.start();
    await sleep(100);
    busy(150);
    await sleep(250);
    pacer.stop();
    const expected = (performance.now() - t0) / 20;
    assert.ok(Math.abs(ticks - expected) <= 2, `${ticks} ticks, expected ${expected.toFixed(1)}`);
    assert.equal(pacer.skipped, 0);
  });

  it('skips overdue ticks when maxCatchUp is 1 (video) and counts them', async function () {
    let ticks = 0;
    const pacer = new Pacer(20, () => ticks++);
    const t0 = performance.now();
    pacer.start();
    await sleep(100);
    busy(150);
    await sleep(250);
    pacer.stop();
    const expected = (performance.now() - t0) / 20;
    assert.ok(pacer.skipped >= 5, `skipped ${pacer.skipped}`);
    assert.ok(
      Math.abs(ticks + pacer.skipped - expected) <= 2,
      `${ticks} + ${pacer.skipped} vs ${expected.toFixed(1)}`,
    );
  });

  it('stop() inside a tick ends ticking at once, also during a catch-up', async function () {
    let ticks = 0;
    const pacer = new Pacer(
      10,
      () => {
        if (++ticks === 3) pacer.stop();
      },
      { maxCatchUp: 10 },
    );
    pacer.start();
    busy(100);
    await sleep(100);
    assert.equal(ticks, 3);
    assert.equal(pacer.running, false);
  });
});
