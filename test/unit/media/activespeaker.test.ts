import assert from 'node:assert/strict';
import { ActiveSpeaker } from '../../../client/media/playout/ActiveSpeaker';

/** Drives a detector with a fake clock, one update per 20 ms tick. */
function harness(holdMs = 300): {
  detector: ActiveSpeaker;
  events: Array<number | null>;
  tick: (levels: Record<number, number>, ticks?: number) => void;
} {
  let now = 0;
  const detector = new ActiveSpeaker({ holdMs, now: () => now });
  const events: Array<number | null> = [];
  detector.on('activeSpeaker', (id) => events.push(id));
  const tick = (levels: Record<number, number>, ticks = 1): void => {
    for (let i = 0; i < ticks; i++) {
      now += 20;
      detector.update(Object.entries(levels).map(([id, level]) => [Number(id), level] as const));
    }
  };
  return { detector, events, tick };
}

describe('ActiveSpeaker', function () {
  it('the first speaker becomes active at once; silence longer than the hold clears it', function () {
    const { detector, events, tick } = harness();
    tick({ 1: -80, 2: -90 }, 5);
    assert.equal(detector.current, null);
    tick({ 1: -20 });
    assert.equal(detector.current, 1);
    tick({ 1: -90 }, 14); // 280 ms of silence: still held
    assert.equal(detector.current, 1);
    tick({}, 2);
    assert.equal(detector.current, null);
    assert.deepEqual(events, [1, null]);
  });

  it('does not flicker when a second speaker is briefly louder', function () {
    const { detector, events, tick } = harness();
    tick({ 1: -25 }, 10);
    for (let i = 0; i < 10; i++) {
      tick({ 1: -25, 2: -15 }, 5); // 100 ms louder
      tick({ 1: -25, 2: -40 }, 5);
    }
    assert.equal(detector.current, 1);
    assert.deepEqual(events, [1]);
  });

  it('switches after the new speaker was loudest for the hold time', function () {
    const { detector, events, tick } = harness();
    tick({ 1: -25 }, 10);
    tick({ 1: -25, 2: -15 }, 15); // loudest for 280 ms
    assert.equal(detector.current, 1);
    tick({ 1: -25, 2: -15 }, 1); // 300 ms
    assert.equal(detector.current, 2);
    assert.deepEqual(events, [1, 2]);
  });

  it('switches at once when the active speaker has been quiet for the hold time', function () {
    const { detector, events, tick } = harness();
    tick({ 1: -25 }, 5);
    tick({ 1: -90 }, 14); // quiet 280 ms
    assert.equal(detector.current, 1);
    tick({ 1: -90, 3: -30 }); // quiet 300 ms, and someone else speaks
    assert.equal(detector.current, 3);
    assert.deepEqual(events, [1, 3]);
  });

  it('remove() forgets a member who left', function () {
    const { detector, events, tick } = harness();
    tick({ 4: -20 });
    detector.remove(4);
    assert.equal(detector.current, null);
    assert.deepEqual(events, [4, null]);
  });
});
