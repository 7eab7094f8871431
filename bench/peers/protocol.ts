/**
 * What the peers bench's processes agree on: the load, the probe each audio payload carries, the
 * IPC messages, and how a child is forked (bench/lib/Child). Imports
 * nothing from server/ or client/.
 */
import path from 'node:path';
import { Child } from '../lib/Child';

import type { HistogramData } from '../relay/protocol';

// ---- load model ------------------------------------------------------------------------------
export const AUDIO_INTERVAL_MS = 20;
/** Opus at ~32 kbit/s in 20 ms frames: 80 bytes; every target carries this payload unchanged. */
export const AUDIO_PAYLOAD_BYTES = 80;
/** Speaking runs this long before the measured window opens. */
export const WARMUP_MS = 1500;
/** After the speakers stop, receivers get this long to drain before the losses are counted. */
export const DRAIN_MS = 500;

/**
 * The variants the same load runs against: a server, and whether its clients connect over TLS (a
 * connect option of the same server and client, nothing else). murmur's TCP voice path is always
 * TLS; `ours-tls` is our TLS as deployed; `ours-base-tls` wraps an older build without TLS in
 * Node's TLS (tlsShim.ts); `bare-tls` is the floor of Node's TLS sockets.
 */
export const TARGET_SPECS = {
  ours: { server: 'ours', tls: false },
  'ours-tls': { server: 'ours', tls: true },
  /** Our server from another build (`--baseline DIST`, its compiled tree): before and after. */
  'ours-base': { server: 'ours', tls: false },
  'ours-base-tls': { server: 'ours', tls: true },
  murmur: { server: 'murmur', tls: true },
  bare: { server: 'bare', tls: false },
  'bare-tls': { server: 'bare', tls: true },
} as const satisfies Record<string, { server: 'ours' | 'murmur' | 'bare'; tls: boolean }>;
export type Target = keyof typeof TARGET_SPECS;
export const TARGETS = Object.keys(TARGET_SPECS) as Target[];
/** Run when --targets is not given. */
export const DEFAULT_TARGETS: Target[] = ['ours', 'murmur', 'bare'];

// ---- the probe inside every payload --------------------------------------------------------------
// sender u32 | sequence u32 | CLOCK_MONOTONIC µs u64 | filler up to AUDIO_PAYLOAD_BYTES. No server
// looks inside an audio payload, so the same probe works through all three.
export const PROBE_BYTES = 16;

export interface Probe {
  sender: number;
  sequence: number;
  micros: number;
}

/** Writes a probe at the start of `payload` (AUDIO_PAYLOAD_BYTES long). */
export function writeProbe(payload: Buffer, probe: Probe): void {
  payload.writeUInt32BE(probe.sender, 0);
  payload.writeUInt32BE(probe.sequence, 4);
  payload.writeUInt32BE(Math.floor(probe.micros / 0x1_0000_0000), 8);
  payload.writeUInt32BE(probe.micros % 0x1_0000_0000, 12);
}

/** Reads the probe at `at` in `buffer`, or null when the bytes are not there. */
export function readProbe(buffer: Buffer, at: number): Probe | null {
  if (at < 0 || buffer.length < at + PROBE_BYTES) return null;
  return {
    sender: buffer.readUInt32BE(at),
    sequence: buffer.readUInt32BE(at + 4),
    micros: buffer.readUInt32BE(at + 8) * 0x1_0000_0000 + buffer.readUInt32BE(at + 12),
  };
}

// ---- messages between the processes -------------------------------------------------------------

export interface BotStats {
  wallMs: number;
  /** The bot process's own CPU over the window (process.cpuUsage), ms. */
  cpuMs: number;
  sent: number;
  received: number;
  /** Sequence gaps seen by receivers. */
  missing: number;
  e2eMicros: HistogramData;
}

export interface BotTotals {
  /** Frames sent and received over the whole run (warm-up and drain included). */
  sent: number;
  received: number;
}

/** Where a bot process connects: one port for all rooms, or one port per room (murmur). */
export interface BotSetup {
  type: 'setup';
  target: Target;
  /** Connect over TLS (the server's certificate is self-signed: not verified). */
  tls: boolean;
  /**
   * Our server's certificate to pin (its own TLS); null with `tls` for an older build wrapped by
   * the bench's shim (tlsShim.ts), whose client then gets TLS from the shim too.
   */
  fingerprint: string | null;
  ports: number[];
  /** Global room numbers this process serves. */
  rooms: number[];
  speakers: number;
}

export type BotCommand =
  | BotSetup
  | { type: 'start' }
  | { type: 'measure-start' }
  | { type: 'measure-end' }
  | { type: 'stop' };
export type BotReply =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'stats'; stats: BotStats }
  | { type: 'stopped'; totals: BotTotals }
  | { type: 'error'; message: string };

export type ServerReply =
  /** `fingerprint`: our server's certificate with TLS of its own (absent from older builds). */
  { type: 'ready'; port: number; fingerprint?: string | null } | { type: 'error'; message: string };

/** Sends a reply to the orchestrator (from a child). */
export function reply(message: BotReply | ServerReply): void {
  process.send?.(message);
}

/** Entry of a child module: ends with the orchestrator; a failure to start ends the process. */
export function runChild(start: () => Promise<void>): void {
  process.on('disconnect', () => process.exit(0));
  start().catch((error: unknown) => {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}

// ---- the orchestrator's end ---------------------------------------------------------------------

/** Forks the peers bench's `module` child (a compiled module next to this one). */
export function forkChild<Command, Reply extends { type: string }>(
  module: 'bot' | 'ours' | 'bare',
  args: string[] = [],
  execArgv: string[] = [],
  distRoot?: string,
): Child<Command, Reply> {
  const file = distRoot
    ? path.join(distRoot, 'bench', 'peers', `${module}.js`)
    : path.join(__dirname, `${module}.js`);
  return new Child<Command, Reply>(file, module, { args, execArgv });
}

/**
 * A 'data' handler for the bare fan-out's wire format: 4-byte big-endian length, then the body (an
 * empty body is allowed). Calls `onFrame` with each whole frame, prefix included; a length over
 * `max` calls `onTooLarge` and stops. Deliberately not common/framing: "bare" is Node alone.
 */
export function lengthPrefixedReader(
  max: number,
  onFrame: (frame: Buffer) => void,
  onTooLarge: () => void = () => undefined,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 4) {
      const length = pending.readUInt32BE(at);
      if (length > max) {
        onTooLarge();
        return;
      }
      if (pending.length - at < 4 + length) break;
      onFrame(pending.subarray(at, at + 4 + length));
      at += 4 + length;
    }
    pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
  };
}
