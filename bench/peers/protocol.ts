/**
 * What the peers bench's processes agree on: the load, the probe each audio payload carries, the
 * IPC messages, and a forked child with request/reply and a time limit on every wait. Imports
 * nothing from server/ or client/.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { HistogramData } from '../relay/protocol';

// ---- load model ------------------------------------------------------------------------------
export const AUDIO_INTERVAL_MS = 20;
/** Opus at ~32 kbit/s in 20 ms frames: 80 bytes; every target carries this payload unchanged. */
export const AUDIO_PAYLOAD_BYTES = 80;
/** Speaking runs this long before the measured window opens. */
export const WARMUP_MS = 1500;
/** After the speakers stop, receivers get this long to drain before the losses are counted. */
export const DRAIN_MS = 500;

/** The three servers the same load runs against. */
export const TARGETS = ['ours', 'murmur', 'bare'] as const;
export type Target = (typeof TARGETS)[number];

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

export type ServerReply = { type: 'ready'; port: number } | { type: 'error'; message: string };

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

/** A forked child (a compiled module next to this one), with request/reply over IPC. */
export class Child<Command, Reply extends { type: string }> {
  readonly process: ChildProcess;
  readonly #inbox: Reply[] = [];
  readonly #waiters: Array<{ type: string; settle: (r: Reply | Error) => void }> = [];
  #failure: Error | null = null;
  #exited = false;

  constructor(module: 'bot' | 'ours' | 'bare') {
    this.process = fork(path.join(__dirname, `${module}.js`), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.process.on('message', (message: Reply) => {
      if (message.type === 'error') {
        this.#fail(new Error(`${module}: ${String((message as { message?: unknown }).message)}`));
        return;
      }
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.settle(message);
      else this.#inbox.push(message);
    });
    this.process.on('exit', (code) => {
      this.#exited = true;
      this.#fail(new Error(`${module} process exited (code ${code})`));
    });
  }

  /** Sends `command` (if any) and waits up to `ms` for the reply of `type`. */
  request<T extends Reply['type']>(
    command: Command | null,
    type: T,
    ms: number,
  ): Promise<Extract<Reply, { type: T }>> {
    const queued = this.#inbox.findIndex((m) => m.type === type);
    const answer: Promise<Extract<Reply, { type: T }>> =
      queued >= 0
        ? Promise.resolve(this.#inbox.splice(queued, 1)[0] as Extract<Reply, { type: T }>)
        : this.#failure
          ? Promise.reject(this.#failure)
          : new Promise((resolve, reject) => {
              const timer = setTimeout(() => {
                const i = this.#waiters.indexOf(waiter);
                if (i >= 0) this.#waiters.splice(i, 1);
                reject(new Error(`no '${type}' within ${ms} ms`));
              }, ms);
              const waiter = {
                type,
                settle: (r: Reply | Error) => {
                  clearTimeout(timer);
                  if (r instanceof Error) reject(r);
                  else resolve(r as Extract<Reply, { type: T }>);
                },
              };
              this.#waiters.push(waiter);
            });
    if (command && !this.#exited) this.process.send(command as object);
    return answer;
  }

  /** Sends `command` (if any), waits up to `ms` for the exit, then kills the process. */
  async end(command: Command | null, ms: number): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (command) this.process.send(command as object);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const w of this.#waiters.splice(0)) w.settle(error);
  }
}
