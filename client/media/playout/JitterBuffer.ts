/**
 * An adaptive jitter buffer for one speaker's audio, keyed by sequence number and drained by the
 * mixer clock (one `pop()` every 20 ms).
 *
 * - Target depth follows measured jitter: the 95th percentile minus the minimum of (arrival time -
 *   capture timestamp) over the last 5 s of packets, plus one frame, clamped to 20..200 ms. It rises
 *   as soon as jitter is seen and falls once the jitter has left the window.
 * - Playout starts when the buffer holds the target depth (or the first packet has waited that long).
 * - A missing frame with later frames buffered is lost once the buffer is at its target: `pop()`
 *   returns a null payload (the caller conceals it). Below the target, and when the buffer is empty
 *   (an underrun), the frame is waited for instead, which adds one frame of delay: that is how depth
 *   grows under jitter without a separate stretch step.
 * - When the depth, averaged over the last ~10 ticks, exceeds the target by more than a frame, one
 *   frame is dropped, at most every 200 ms, until it does not.
 * - Packets older than the playout point are late (dropped, counted); duplicates are dropped too.
 * - After 100 ms of underrun the talk spurt is over (the speaker stopped sending); the next packet,
 *   or any packet flagged as a talk-spurt start while the buffer is empty, starts a new spurt.
 *
 * Sequence numbers are unsigned 32-bit and may wrap.
 */
import {
  AUDIO_FRAME_MS,
  JITTER_MAX_DEPTH_MS,
  JITTER_MIN_DEPTH_MS,
} from '../../../common/constants';
import { nowMs } from '../../../common/clock';

/** Options of a `JitterBuffer`. */
export interface JitterBufferOptions {
  /** Duration of one frame (ms, default AUDIO_FRAME_MS). */
  frameMs?: number;
  /** Smallest target depth (ms, default 20). */
  minDepthMs?: number;
  /** Largest target depth (ms, default 200). */
  maxDepthMs?: number;
  /** Target depth until enough packets were seen to measure jitter (ms, default 40). */
  initialDepthMs?: number;
  /** Packets over which jitter is measured (default 250: 5 s of 20 ms frames). */
  windowPackets?: number;
  /** Underrun frames concealed before the talk spurt counts as over (default 5: 100 ms). */
  maxUnderrunFrames?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** Why `pop()` returned what it did. */
export type JitterPopReason = 'packet' | 'loss' | 'wait';

/** What to play for one 20 ms tick. */
export interface JitterPop<T> {
  /** Sequence number of the frame this tick stands for. */
  seq: number;
  /** The packet to decode, or null: conceal (the frame was lost, or is late and waited for). */
  payload: T | null;
  /** 'packet': a packet; 'loss': its frame is given up; 'wait': waiting for a late frame (delay grows). */
  reason: JitterPopReason;
}

/** Counters of a `JitterBuffer`. */
export interface JitterBufferCounters {
  /** Packets pushed. */
  received: number;
  /** Packets returned by `pop()`. */
  played: number;
  /** Ticks returned with a null payload ('loss' or 'wait'). */
  concealed: number;
  /** Frames given up as lost. */
  lost: number;
  /** Packets arriving after their playout point (dropped). */
  late: number;
  /** Packets received twice (dropped). */
  duplicates: number;
  /** Frames dropped to bring the depth down to the target. */
  accelerated: number;
  /** Talk spurts started (including the first). */
  spurts: number;
}

/** Slots of the ring (frames); must be a power of two and hold well over `maxDepthMs`. */
const CAPACITY = 64;
/** Pops between two depth-reducing frame drops (200 ms). */
const ACCELERATE_INTERVAL = 10;
/** Packets needed before the measured jitter replaces `initialDepthMs`. */
const MIN_SAMPLES = 10;
const JITTER_PERCENTILE = 0.95;
/** Weight of the newest depth in the running average that decides frame drops. */
const DEPTH_SMOOTHING = 0.1;

/** Signed distance a - b between two u32 sequence numbers. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class JitterBuffer<T = Buffer> {
  readonly #frameMs: number;
  readonly #minDepth: number;
  readonly #maxDepth: number;
  readonly #initialDepth: number;
  readonly #maxUnderrun: number;
  readonly #now: () => number;
  readonly #slots: (T | undefined)[] = new Array<T | undefined>(CAPACITY).fill(undefined);
  readonly #slotSeq = new Float64Array(CAPACITY).fill(-1);
  readonly #delays: Float64Array;
  readonly #sorted: Float64Array;
  #delayCount = 0;
  #delayIndex = 0;
  #jitter = 0;
  #target: number;
  #state: 'idle' | 'buffering' | 'playing' = 'idle';
  #next = 0;
  #highest = 0;
  #count = 0;
  #spurtArrival = 0;
  #underrun = 0;
  #sinceAccelerate = 0;
  #avgDepth = 0;
  readonly #counters: JitterBufferCounters = {
    received: 0,
    played: 0,
    concealed: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    accelerated: 0,
    spurts: 0,
  };

  /** An empty buffer for one speaker. */
  constructor(options: JitterBufferOptions = {}) {
    this.#frameMs = options.frameMs ?? AUDIO_FRAME_MS;
    this.#minDepth = options.minDepthMs ?? JITTER_MIN_DEPTH_MS;
    this.#maxDepth = options.maxDepthMs ?? JITTER_MAX_DEPTH_MS;
    this.#initialDepth = options.initialDepthMs ?? 40;
    this.#maxUnderrun = options.maxUnderrunFrames ?? 5;
    this.#now = options.now ?? nowMs;
    const window = options.windowPackets ?? 250;
    if (!(this.#frameMs > 0)) throw new TypeError(`frameMs must be positive, got ${this.#frameMs}`);
    if (!(this.#minDepth >= this.#frameMs))
      throw new TypeError(`minDepthMs must be >= frameMs, got ${this.#minDepth}`);
    if (!(this.#maxDepth >= this.#minDepth))
      throw new TypeError(`maxDepthMs must be >= minDepthMs, got ${this.#maxDepth}`);
    if (this.#maxDepth / this.#frameMs > CAPACITY / 2)
      throw new TypeError(`maxDepthMs must be <= ${(CAPACITY / 2) * this.#frameMs}`);
    if (!Number.isInteger(window) || window < MIN_SAMPLES)
      throw new TypeError(`windowPackets must be an integer >= ${MIN_SAMPLES}`);
    this.#delays = new Float64Array(window);
    this.#sorted = new Float64Array(window);
    this.#target = this.#clampDepth(this.#initialDepth);
  }

  /** 'idle' (no talk spurt), 'buffering' (filling up to the target) or 'playing'. */
  get state(): 'idle' | 'buffering' | 'playing' {
    return this.#state;
  }

  /** Audio buffered ahead of the playout point, holes included (ms). */
  get depthMs(): number {
    return this.#count === 0 ? 0 : (seqDiff(this.#highest, this.#next) + 1) * this.#frameMs;
  }

  /** Depth the buffer aims for (ms). */
  get targetDepthMs(): number {
    return this.#target;
  }

  /** Measured jitter: 95th percentile minus minimum of the transit delay (ms). */
  get jitterMs(): number {
    return this.#jitter;
  }

  /** A copy of the counters. */
  get counters(): JitterBufferCounters {
    return { ...this.#counters };
  }

  /**
   * Adds a packet: `timestampMs` is its capture time on the sender's clock (any fixed offset from
   * ours is fine), `talkStart` the sender's talk-spurt flag. Returns false when it was dropped (late,
   * duplicate).
   */
  push(seq: number, timestampMs: number, payload: T, talkStart = false): boolean {
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff)
      throw new TypeError(`seq must be a u32, got ${seq}`);
    const arrival = this.#now();
    this.#counters.received++;
    this.#measure(arrival - timestampMs);
    if (this.#state === 'idle' || (talkStart && this.#count === 0)) {
      this.#startSpurt(seq, arrival);
      this.#store(seq, payload);
      return true;
    }
    const ahead = seqDiff(seq, this.#next);
    if (ahead < 0) {
      // before the playout point: a reordered first packet while still buffering, otherwise late
      if (this.#state === 'buffering' && seqDiff(this.#highest, seq) < CAPACITY / 2) {
        this.#next = seq;
        this.#store(seq, payload);
        return true;
      }
      this.#counters.late++;
      return false;
    }
    if (ahead >= CAPACITY / 2) {
      // far ahead of anything buffered (the sender restarted or a long outage): start over there
      this.#clear();
      this.#startSpurt(seq, arrival);
      this.#store(seq, payload);
      return true;
    }
    const slot = seq & (CAPACITY - 1);
    if (this.#slotSeq[slot] === seq) {
      this.#counters.duplicates++;
      return false;
    }
    this.#store(seq, payload);
    return true;
  }

  /** What to play for this 20 ms tick, or null when the speaker is silent (nothing to play or conceal). */
  pop(): JitterPop<T> | null {
    if (this.#state === 'idle') return null;
    if (this.#state === 'buffering') {
      if (
        this.depthMs < this.#target &&
        this.#now() - this.#spurtArrival < this.#target - this.#frameMs / 2
      )
        return null;
      this.#state = 'playing';
      this.#sinceAccelerate = 0;
      this.#avgDepth = this.depthMs;
    }
    this.#sinceAccelerate++;
    this.#avgDepth += (this.depthMs - this.#avgDepth) * DEPTH_SMOOTHING;
    if (
      this.#avgDepth > this.#target + this.#frameMs &&
      this.#sinceAccelerate >= ACCELERATE_INTERVAL &&
      this.#has(this.#next) &&
      this.#has((this.#next + 1) >>> 0)
    ) {
      this.#take(this.#next);
      this.#next = (this.#next + 1) >>> 0;
      this.#counters.accelerated++;
      this.#sinceAccelerate = 0;
      this.#avgDepth -= this.#frameMs;
    }
    const seq = this.#next;
    if (this.#has(seq)) {
      const payload = this.#take(seq) as T;
      this.#next = (seq + 1) >>> 0;
      this.#underrun = 0;
      this.#counters.played++;
      return { seq, payload, reason: 'packet' };
    }
    if (this.#count > 0) {
      this.#underrun = 0;
      if (this.depthMs > this.#target) {
        this.#next = (seq + 1) >>> 0;
        this.#counters.lost++;
        this.#counters.concealed++;
        return { seq, payload: null, reason: 'loss' };
      }
      this.#counters.concealed++;
      return { seq, payload: null, reason: 'wait' };
    }
    // empty: late packets or the end of the talk spurt
    if (++this.#underrun > this.#maxUnderrun) {
      this.#state = 'idle';
      this.#underrun = 0;
      return null;
    }
    this.#counters.concealed++;
    return { seq, payload: null, reason: 'wait' };
  }

  /** Drops everything buffered and the jitter history. */
  reset(): void {
    this.#clear();
    this.#state = 'idle';
    this.#delayCount = 0;
    this.#delayIndex = 0;
    this.#jitter = 0;
    this.#target = this.#clampDepth(this.#initialDepth);
  }

  #startSpurt(seq: number, arrival: number): void {
    this.#state = 'buffering';
    this.#next = seq;
    this.#highest = seq;
    this.#spurtArrival = arrival;
    this.#underrun = 0;
    this.#counters.spurts++;
  }

  #has(seq: number): boolean {
    return this.#slotSeq[seq & (CAPACITY - 1)] === seq;
  }

  #store(seq: number, payload: T): void {
    const slot = seq & (CAPACITY - 1);
    if (this.#slotSeq[slot] === -1) this.#count++;
    this.#slotSeq[slot] = seq;
    this.#slots[slot] = payload;
    if (this.#count === 1 || seqDiff(seq, this.#highest) > 0) this.#highest = seq;
  }

  #take(seq: number): T | undefined {
    const slot = seq & (CAPACITY - 1);
    const payload = this.#slots[slot];
    this.#slots[slot] = undefined;
    this.#slotSeq[slot] = -1;
    this.#count--;
    return payload;
  }

  #clear(): void {
    this.#slots.fill(undefined);
    this.#slotSeq.fill(-1);
    this.#count = 0;
  }

  #clampDepth(ms: number): number {
    const frames = Math.ceil(ms / this.#frameMs - 1e-9);
    return Math.min(this.#maxDepth, Math.max(this.#minDepth, frames * this.#frameMs));
  }

  /** Records one transit delay and recomputes jitter and target depth. */
  #measure(delay: number): void {
    const window = this.#delays.length;
    this.#delays[this.#delayIndex] = delay;
    this.#delayIndex = (this.#delayIndex + 1) % window;
    if (this.#delayCount < window) this.#delayCount++;
    const n = this.#delayCount;
    const sorted = this.#sorted.subarray(0, n);
    sorted.set(this.#delays.subarray(0, n));
    sorted.sort();
    this.#jitter = sorted[Math.floor(JITTER_PERCENTILE * (n - 1))] - sorted[0];
    const wanted = this.#jitter + this.#frameMs;
    this.#target = this.#clampDepth(
      n < MIN_SAMPLES ? Math.max(wanted, this.#initialDepth) : wanted,
    );
  }
}
