import assert from 'node:assert/strict';
import { JitterBuffer, type JitterPop } from '../../../client/media/playout/JitterBuffer';
import { stats } from './helpers';

/** A jitter buffer on a fake clock, with helpers to push and pop at given times. */
function harness(options: ConstructorParameters<typeof JitterBuffer>[0] = {}) {
  let now = 0;
  const jb = new JitterBuffer<string>({ ...options, now: () => now });
  return {
    jb,
    at(t: number) {
      now = t;
    },
    /** Pushes packet `seq` (captured at `ts`, default seq*20 ms) arriving at `arrival`. */
    push(seq: number, arrival: number, talkStart = false, ts = seq * 20) {
      now = arrival;
      return jb.push(seq, ts, `p${seq}`, talkStart);
    },
    pop(t: number): JitterPop<string> | null {
      now = t;
      return jb.pop();
    },
  };
}

/** Seeded pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/**
 * Runs a stream: packet `seq` is captured at seq*20 ms and arrives `delay(seq)` ms later; the mixer
 * pops every 20 ms (offset 7 ms). Returns the pops and the depth seen at each pop.
 */
function simulate(
  jb: JitterBuffer<string>,
  setNow: (t: number) => void,
  from: number,
  to: number,
  delay: (seq: number) => number,
) {
  type Ev = { t: number; seq?: number };
  const events: Ev[] = [];
  for (let seq = from; seq < to; seq++) events.push({ t: seq * 20 + delay(seq), seq });
  for (let t = from * 20 + 7; t < to * 20 + 7; t += 20) events.push({ t });
  events.sort((a, b) => a.t - b.t || (a.seq === undefined ? 1 : -1));
  const pops: Array<JitterPop<string> | null> = [];
  const depths: number[] = [];
  for (const ev of events) {
    setNow(ev.t);
    if (ev.seq !== undefined) jb.push(ev.seq, ev.seq * 20, `p${ev.seq}`);
    else {
      depths.push(jb.depthMs);
      pops.push(jb.pop());
    }
  }
  return { pops, depths };
}

describe('JitterBuffer', function () {
  it('plays packets in order once the initial depth is buffered', function () {
    const h = harness({ initialDepthMs: 40 });
    assert.equal(h.pop(0), null, 'idle before any packet');
    h.push(100, 0);
    assert.equal(h.jb.state, 'buffering');
    assert.equal(h.pop(5), null, 'still buffering');
    h.push(101, 20);
    assert.equal(h.jb.depthMs, 40);
    assert.deepEqual(h.pop(25), { seq: 100, payload: 'p100', reason: 'packet' });
    assert.equal(h.jb.state, 'playing');
    h.push(102, 40);
    assert.equal(h.pop(45)?.payload, 'p101');
    assert.equal(h.pop(65)?.payload, 'p102');
  });

  it('puts reordered packets back in order (also the first ones)', function () {
    const h = harness({ initialDepthMs: 60 });
    for (const seq of [11, 10, 13, 12, 14]) h.push(seq, 5);
    const got = [h.pop(10), h.pop(30), h.pop(50), h.pop(70), h.pop(90)].map((p) => p?.payload);
    assert.deepEqual(got, ['p10', 'p11', 'p12', 'p13', 'p14']);
    assert.equal(h.jb.counters.late, 0);
  });

  it('a lost packet comes out as a null payload to conceal, and playout goes on', function () {
    const h = harness({ initialDepthMs: 40 });
    for (const seq of [0, 1, 2, 4, 5, 6]) h.push(seq, seq * 20);
    const pops = [0, 1, 2, 3, 4, 5].map((i) => h.pop(45 + i * 20));
    assert.deepEqual(
      pops.map((p) => [p?.seq, p?.payload ?? null]),
      [
        [0, 'p0'],
        [1, 'p1'],
        [2, 'p2'],
        [3, null],
        [4, 'p4'],
        [5, 'p5'],
      ],
    );
    assert.equal(pops[3]?.reason, 'loss');
    assert.equal(h.jb.counters.lost, 1);
    assert.equal(h.jb.counters.concealed, 1);
  });

  it('drops a packet that arrives after its playout point, and duplicates', function () {
    const h = harness({ initialDepthMs: 40 });
    for (const seq of [0, 1, 2, 4, 5]) h.push(seq, seq * 20);
    const pops = [0, 1, 2, 3, 4].map((i) => h.pop(105 + i * 20));
    assert.equal(pops[3]?.reason, 'loss', 'seq 3 is given up');
    assert.equal(h.push(3, 186), false, 'late');
    assert.equal(h.push(1, 187), false, 'late (already played)');
    h.push(6, 188);
    assert.equal(h.push(6, 189), false, 'duplicate');
    const c = h.jb.counters;
    assert.equal(c.late, 2);
    assert.equal(c.duplicates, 1);
    assert.equal(c.received, 9);
    assert.equal(h.pop(205)?.payload, 'p5');
    assert.equal(h.pop(225)?.payload, 'p6');
  });

  it('handles sequence numbers wrapping around 2^32', function () {
    const h = harness({ initialDepthMs: 20 });
    const seqs = [0xfffffffe, 0xffffffff, 0, 1];
    h.push(seqs[1], 0, false, 20);
    h.push(seqs[0], 1, false, 0);
    h.push(seqs[3], 2, false, 60);
    h.push(seqs[2], 3, false, 40);
    const got = [h.pop(10), h.pop(30), h.pop(50), h.pop(70)].map((p) => p?.seq);
    assert.deepEqual(got, seqs);
  });

  it('ends a talk spurt after a short underrun and starts the next one cleanly', function () {
    const h = harness({ initialDepthMs: 40 });
    for (let seq = 0; seq < 10; seq++) h.push(seq, seq * 20);
    const results: Array<JitterPop<string> | null> = [];
    for (let i = 0; i < 20; i++) results.push(h.pop(30 + i * 20));
    assert.equal(results.filter((p) => p?.payload).length, 10);
    const waits = results.filter((p) => p && p.payload === null);
    assert.equal(waits.length, 5, '100 ms of concealment after the last packet');
    assert.ok(waits.every((p) => p?.reason === 'wait'));
    assert.equal(h.jb.state, 'idle');
    assert.equal(results[19], null);
    // the sender resumes after a silence: sequence numbers continue, timestamps jumped
    assert.equal(h.push(10, 2000, true, 2000), true);
    assert.equal(h.jb.state, 'buffering');
    h.push(11, 2020, false, 2020);
    assert.equal(h.pop(2025)?.payload, 'p10');
    assert.equal(h.jb.counters.spurts, 2);
  });

  it('a jump far ahead (sender restart) starts over instead of concealing a long gap', function () {
    const h = harness({ initialDepthMs: 20 });
    h.push(5, 0);
    assert.equal(h.pop(10)?.payload, 'p5');
    h.push(5000, 20);
    assert.equal(h.jb.state, 'buffering');
    assert.equal(h.pop(30)?.seq, 5000);
  });

  it('depth adapts up under jitter and back down when the network is steady', function () {
    const h = harness();
    const rnd = random(42);
    // 10 s of heavy jitter: delays uniform in 5..125 ms
    const jittery = simulate(h.jb, h.at, 0, 500, () => 5 + rnd() * 120);
    const jitteryTarget = h.jb.targetDepthMs;
    const jitteryDepth = stats(jittery.depths.slice(-250));
    assert.ok(h.jb.jitterMs > 90, `jitter ${h.jb.jitterMs}`);
    assert.ok(jitteryTarget >= 120 && jitteryTarget <= 200, `target under jitter ${jitteryTarget}`);
    assert.ok(jitteryDepth.mean >= 60, `mean depth under jitter ${jitteryDepth.mean}`);
    const concealedDuringJitter = h.jb.counters.concealed;
    // most of the stream played: concealment happened only while the depth was growing
    assert.ok(h.jb.counters.played > 450, `played ${h.jb.counters.played}`);
    // 10 s of a steady network: constant 5 ms delay
    const steady = simulate(h.jb, h.at, 500, 1000, () => 5);
    assert.ok(h.jb.targetDepthMs <= 40, `steady target ${h.jb.targetDepthMs}`);
    const steadyDepth = stats(steady.depths.slice(-100));
    assert.ok(steadyDepth.max <= 60, `steady depth up to ${steadyDepth.max}`);
    assert.ok(
      steadyDepth.mean <= 40 && steadyDepth.mean < jitteryDepth.mean / 2,
      `steady mean depth ${steadyDepth.mean}`,
    );
    assert.ok(h.jb.counters.accelerated > 0);
    // once steady, nothing more is concealed or late
    const tail = steady.pops.slice(-250);
    assert.ok(
      tail.every((p) => p?.reason === 'packet'),
      'steady stream plays every packet',
    );
    assert.ok(h.jb.counters.concealed >= concealedDuringJitter);
  });

  it('a steady stream keeps the minimum depth and conceals nothing', function () {
    const h = harness();
    const { pops, depths } = simulate(h.jb, h.at, 0, 300, () => 3);
    assert.equal(h.jb.counters.concealed, 0);
    assert.ok(pops.slice(5).every((p) => p?.reason === 'packet'));
    assert.ok(Math.max(...depths.slice(20)) <= 40);
    assert.equal(h.jb.targetDepthMs, 20);
  });

  it('rejects bad options and sequence numbers', function () {
    assert.throws(() => new JitterBuffer({ minDepthMs: 10 }), TypeError);
    assert.throws(() => new JitterBuffer({ maxDepthMs: 5000 }), TypeError);
    assert.throws(() => new JitterBuffer().push(-1, 0, Buffer.alloc(1)), TypeError);
    assert.throws(() => new JitterBuffer().push(2 ** 32, 0, Buffer.alloc(1)), TypeError);
  });
});
