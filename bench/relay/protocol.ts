/**
 * What the relay bench's processes agree on: the load model, the IPC messages between the
 * orchestrator and its children, and how the orchestrator forks a child (bench/lib/Child).
 * Imports nothing from server/ or client/, so every side can use it.
 */
import path from 'node:path';
import { Child } from '../lib/Child';

// ---- load model ------------------------------------------------------------------------------
export const AUDIO_INTERVAL_MS = 20;
export const AUDIO_PAYLOAD_BYTES = 80;
export const VIDEO_INTERVAL_MS = 1000 / 15;
export const VIDEO_MIN_BYTES = 15_000;
export const VIDEO_MAX_BYTES = 30_000;
/** A bot skips a video frame while this much is still queued on its own video link. */
export const SENDER_VIDEO_BACKLOG_BYTES = 1024 * 1024;
/** Publishing runs this long before the measured window opens. */
export const WARMUP_MS = 1500;
/** Registrations in flight per bot process (the server's auth queue holds 64). */
export const REGISTER_CONCURRENCY = 8;

export type Kinds<T> = { audio: T; video: T };

/** A Histogram (stats.ts) as it crosses IPC, to be summed by the orchestrator. */
export interface HistogramData {
  counts: Float64Array;
  max: number;
}

// ---- messages between the processes -------------------------------------------------------------

export interface ServerStats {
  wallMs: number;
  cpuMs: number;
  rss: number;
  rssPeak: number;
  /** external + arrayBuffers: Buffers (frames) live in the server. */
  buffers: number;
  /** Outgoing queues (one per member and media link; each serves every sender of the room). */
  consumers: number;
  framesIn: number;
  written: number;
  dropped: Kinds<number>;
  /** Largest sum of the outgoing queues' queuedBytes seen while measuring. */
  queuedPeak: number;
  latencyNs: Kinds<HistogramData>;
  /** Sender's encode → the relay accepting the frame, from its monotonic timestamp. */
  uplinkMicros: HistogramData;
  /** p99 of the event loop's lag (how late a due timer runs), ms. */
  loopDelayP99Ms: number;
}

export interface BotStats {
  wallMs: number;
  cpuMs: number;
  rss: number;
  sent: Kinds<number>;
  skipped: number;
  received: Kinds<number>;
  bytes: number;
  /** Frames a receiver never saw (sequence gaps), and frames out of order. */
  missing: number;
  reordered: number;
  e2eMicros: Kinds<HistogramData>;
  loopDelayP99Ms: number;
}

export type ServerCommand =
  | { type: 'measure-start'; meetingIds: string[] }
  | { type: 'measure-end'; meetingIds: string[] }
  /** Starts or stops recording one meeting (the recording comparison, issue 13). */
  | { type: 'record'; meetingId: string; on: boolean }
  | { type: 'close' };

/** One closed segment of the bench's recording: its length and the real-time factors. */
export interface SegmentStats {
  seq: number;
  durationMs: number;
  encoderRtf: number | null;
  compositorRtf: number;
}
export type ServerReply =
  | { type: 'ready'; port: number; rss: number; fingerprint: string | null }
  | { type: 'started' }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'recorded'; segments: SegmentStats[]; dropped: number }
  | { type: 'error'; message: string };

export type BotsCommand =
  | {
      type: 'setup';
      port: number;
      meetings: number[];
      bots: number;
      /** The server's certificate to pin (TLS), or null for plain TCP. */
      fingerprint: string | null;
    }
  | { type: 'start' }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'stop' };
export type BotsReply =
  | { type: 'ready'; meetingIds: string[] }
  | { type: 'started' }
  | { type: 'stats'; stats: BotStats }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

// ---- the children's end -------------------------------------------------------------------------

/** Sends a reply to the orchestrator (from a child). */
export function reply(message: ServerReply | BotsReply): void {
  process.send?.(message);
}

/** Children end with the orchestrator, whatever happens to it. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

/** Entry of a child module: a failure to start is printed and ends the process. */
export function runChild(start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

// ---- the orchestrator's end ---------------------------------------------------------------------

/** The compiled child modules, next to this one (dist/bench/relay/). */
const CHILD_MODULES = { server: 'server.js', bots: 'bot.js' } as const;

/** Forks the relay bench's `role` child. */
export function forkChild<Command, Reply extends { type: string }>(
  role: keyof typeof CHILD_MODULES,
  env?: Record<string, string>,
): Child<Command, Reply> {
  return new Child<Command, Reply>(path.join(__dirname, CHILD_MODULES[role]), role, { env });
}
