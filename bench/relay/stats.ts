/**
 * Measuring and reporting for the relay bench: a mergeable latency histogram, clocks, event-loop
 * lag, host CPU and speed yardsticks, and the printed table and summary of one step. Shared by the
 * orchestrator and both children; imports nothing from server/ or client/.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { IntervalHistogram } from 'node:perf_hooks';
import { WARMUP_MS, type HistogramData } from './protocol';

export const MB = 1024 * 1024;

// ---- a mergeable latency histogram ---------------------------------------------------------------

/**
 * Log-linear histogram of non-negative values (64 sub-buckets per power of two, so within ~1.6%),
 * plain counts in a Float64Array so bot processes can send theirs to be summed.
 */
export class Histogram {
  static readonly SUB = 64;
  static readonly SIZE = 2 * Histogram.SUB + 40 * Histogram.SUB;
  readonly counts: Float64Array;
  count = 0;
  max = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(Histogram.SIZE);
    if (counts) this.count = counts.reduce((a, b) => a + b, 0);
  }

  static #index(value: number): number {
    const v = Math.max(0, Math.floor(value));
    if (v < 2 * Histogram.SUB) return v;
    const shift = Math.floor(Math.log2(v)) - Math.log2(Histogram.SUB);
    const index =
      2 * Histogram.SUB +
      (shift - 1) * Histogram.SUB +
      (Math.floor(v / 2 ** shift) - Histogram.SUB);
    return Math.min(index, Histogram.SIZE - 1);
  }

  /** Middle of the bucket at `index`. */
  static #value(index: number): number {
    if (index < 2 * Histogram.SUB) return index;
    const shift = Math.floor((index - 2 * Histogram.SUB) / Histogram.SUB) + 1;
    const mantissa = ((index - 2 * Histogram.SUB) % Histogram.SUB) + Histogram.SUB;
    return mantissa * 2 ** shift + 2 ** (shift - 1);
  }

  record(value: number): void {
    this.counts[Histogram.#index(value)]! += 1;
    this.count += 1;
    if (value > this.max) this.max = value;
  }

  add(other: Histogram): void {
    for (let i = 0; i < Histogram.SIZE; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** The value below which `p` percent of the samples fall (NaN when empty). */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < Histogram.SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return Math.min(Histogram.#value(i), this.max);
    }
    return this.max;
  }

  toJSON(): HistogramData {
    return { counts: this.counts, max: this.max };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram(Float64Array.from(data.counts));
    h.max = data.max;
    return h;
  }
}

// ---- clocks and event-loop lag -----------------------------------------------------------------

/** Sampling period of the event-loop monitors. */
export const LOOP_RESOLUTION_MS = 10;

/**
 * p99 of how late the event loop ran a 10 ms timer, in ms: the monitor records the whole interval
 * between runs, so the period is taken off.
 */
export function loopDelayP99(h: IntervalHistogram): number {
  return h.count > 0 ? Math.max(0, h.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : Number.NaN;
}

/** CLOCK_MONOTONIC in microseconds: the same clock in every process on this host. */
export function monotonicMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

// ---- host yardsticks -----------------------------------------------------------------------------

/** Busy and total CPU ticks of the whole host (/proc/stat), to see load from outside the bench. */
export function hostTicks(): { busy: number; softirq: number; total: number } {
  try {
    const cpu = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, softirq: cpu[6] ?? 0, total };
  } catch {
    return { busy: Number.NaN, softirq: Number.NaN, total: Number.NaN };
  }
}

/**
 * Milliseconds for a fixed CPU-bound loop: this host's cores run at very different speeds from one
 * hour to the next (a shared VM), so each report carries this yardstick (best of three).
 */
export function calibrate(): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let x = 0;
    for (let i = 0; i < 20_000_000; i++) x = (x + i * 7) % 1_000_003;
    best = Math.min(best, performance.now() - t0);
    if (x < 0) console.log(x); // keeps the loop from being optimised away
  }
  return best;
}

/**
 * p99 of how late a 1 ms timer fires in an otherwise idle process, ms (500 samples, under a
 * second): the host's own wake-up latency, a floor under every end-to-end figure (a frame wakes the
 * server and then the receiver).
 */
export async function wakeupLatenessP99(): Promise<number> {
  const late: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await sleep(1);
    late.push(performance.now() - t0 - 1);
  }
  late.sort((a, b) => a - b);
  return late[Math.floor(late.length * 0.99)] ?? Number.NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- one step, as printed ----------------------------------------------------------------------

export interface StepResult {
  meetings: number;
  bots: number;
  /** Receiver-streams: one per (sender, receiver, kind), N × M × (M − 1) × 2. */
  consumers: number;
  /** Outgoing queues found in the server (N × M × 2 when every link is attached). */
  consumerObjects: number;
  seconds: number;
  sentPerSec: number;
  /** Frames/s and MB/s that reached receivers. */
  deliveredPerSec: number;
  deliveredMBps: number;
  /** Frames the relay took in and wrote out per second (server side of the same counts). */
  relayInPerSec: number;
  relayOutPerSec: number;
  serverP50us: number;
  serverP99us: number;
  e2eP50ms: number;
  e2eP99ms: number;
  e2eAudioP99ms: number;
  e2eVideoP99ms: number;
  uplinkP50ms: number;
  uplinkP99ms: number;
  serverLoopP99ms: number;
  botsLoopP99ms: number;
  dropped: number;
  missing: number;
  reordered: number;
  skipped: number;
  serverCpu: number;
  serverRssIdleMB: number;
  serverRssMB: number;
  serverRssPeakMB: number;
  queuedPeakMB: number;
  botsCpu: number;
  /** Whole host, % of one core (200 = both cores of this machine busy). */
  hostCpu: number;
  /**
   * Softirq share of it: mostly the loopback TCP stack carrying the bench's own traffic, which
   * the kernel does not charge to the processes.
   */
  softirqCpu: number;
}

const COLUMNS: Array<[title: string, width: number, cell: (r: StepResult) => string]> = [
  ['N×M', 6, (r) => `${r.meetings}×${r.bots}`],
  ['consumers', 9, (r) => String(r.consumers)],
  ['sent/s', 7, (r) => r.sentPerSec.toFixed(0)],
  ['deliv/s', 8, (r) => r.deliveredPerSec.toFixed(0)],
  ['MB/s', 6, (r) => r.deliveredMBps.toFixed(1)],
  ['srv p50µs', 9, (r) => r.serverP50us.toFixed(1)],
  ['srv p99µs', 9, (r) => r.serverP99us.toFixed(1)],
  ['e2e p50ms', 9, (r) => r.e2eP50ms.toFixed(2)],
  ['e2e p99ms', 9, (r) => r.e2eP99ms.toFixed(2)],
  ['aud p99', 7, (r) => r.e2eAudioP99ms.toFixed(2)],
  ['vid p99', 7, (r) => r.e2eVideoP99ms.toFixed(2)],
  ['up p99', 6, (r) => r.uplinkP99ms.toFixed(2)],
  ['lag p99 s/b', 12, (r) => `${r.serverLoopP99ms.toFixed(1)}/${r.botsLoopP99ms.toFixed(1)}`],
  ['dropped', 7, (r) => String(r.dropped)],
  ['missing', 7, (r) => String(r.missing)],
  ['srv CPU%', 8, (r) => r.serverCpu.toFixed(0)],
  ['µs/frame', 8, (r) => serverMicrosPerFrame(r).toFixed(1)],
  ['srv RSS MB', 10, (r) => `${r.serverRssMB.toFixed(0)}/${r.serverRssPeakMB.toFixed(0)}`],
  ['bots CPU%', 9, (r) => r.botsCpu.toFixed(0)],
  ['sirq%', 5, (r) => r.softirqCpu.toFixed(0)],
  ['other CPU%', 10, (r) => otherCpu(r).toFixed(0)],
];

/** Server CPU time per delivered frame, µs: the relay's cost, whatever the load. */
export function serverMicrosPerFrame(r: StepResult): number {
  return (r.serverCpu * 1e4) / r.deliveredPerSec;
}

/** Host CPU used by other processes, % of one core (softirq, the bench's own loopback, excluded). */
export function otherCpu(r: StepResult): number {
  return Math.max(0, r.hostCpu - r.softirqCpu - r.serverCpu - r.botsCpu);
}

export function header(): string {
  return COLUMNS.map(([title, width]) => title.padStart(width)).join(' ');
}

export function row(r: StepResult): string {
  return COLUMNS.map(([, width, cell]) => cell(r).padStart(width)).join(' ');
}

export function describe(r: StepResult): string {
  return [
    `meetings × bots        ${r.meetings} × ${r.bots}`,
    `consumers              ${r.consumers} receiver-streams (N×M×(M−1)×2), served by ${r.consumerObjects} Consumer objects` +
      (r.consumerObjects === r.meetings * r.bots * 2
        ? ' (N×M×2)'
        : ` (WARNING: expected ${r.meetings * r.bots * 2})`),
    `measured window        ${r.seconds.toFixed(2)} s after ${WARMUP_MS} ms warm-up`,
    `frames sent/s          ${r.sentPerSec.toFixed(0)} (${r.skipped} video frames skipped by senders)`,
    `frames delivered/s     ${r.deliveredPerSec.toFixed(0)} (${r.deliveredMBps.toFixed(1)} MB/s); the relay took ${r.relayInPerSec.toFixed(0)}/s and wrote ${r.relayOutPerSec.toFixed(0)}/s`,
    `server latency         p50 ${r.serverP50us.toFixed(1)} µs  p99 ${r.serverP99us.toFixed(1)} µs  (relay take → socket write)`,
    `end-to-end latency     p50 ${r.e2eP50ms.toFixed(2)} ms  p99 ${r.e2eP99ms.toFixed(2)} ms  (audio p99 ${r.e2eAudioP99ms.toFixed(2)}, video p99 ${r.e2eVideoP99ms.toFixed(2)})`,
    `uplink latency         p50 ${r.uplinkP50ms.toFixed(2)} ms  p99 ${r.uplinkP99ms.toFixed(2)} ms  (sender encode → Relay.forward)`,
    `event-loop lag p99     server ${r.serverLoopP99ms.toFixed(1)} ms, bots ${r.botsLoopP99ms.toFixed(1)} ms (worst bot process)`,
    `dropped (Consumers)    ${r.dropped}; receivers saw ${r.missing} missing, ${r.reordered} out of order`,
    `server CPU             ${r.serverCpu.toFixed(0)} % of one core (${serverMicrosPerFrame(r).toFixed(1)} µs per delivered frame)`,
    `server RSS             ${r.serverRssMB.toFixed(0)} MB (peak ${r.serverRssPeakMB.toFixed(0)} MB, ${r.serverRssIdleMB.toFixed(0)} MB idle before the bots); queued in Consumers peak ${r.queuedPeakMB.toFixed(2)} MB`,
    `bot processes CPU      ${r.botsCpu.toFixed(0)} % of one core (${os.cpus().length} cores in all)`,
    `whole host CPU         ${r.hostCpu.toFixed(0)} % of one core (softirq ${r.softirqCpu.toFixed(0)} %, mostly this loopback traffic; other processes ${otherCpu(r).toFixed(0)} %)`,
  ].join('\n');
}
