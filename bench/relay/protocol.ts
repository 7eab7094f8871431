/**
 * What the relay bench's processes agree on: the load model, the IPC messages between the
 * orchestrator and its children, and the orchestrator's end of that IPC (`Child`). Imports nothing
 * from server/ or client/, so every side can use it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

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
  | { type: 'close' };
export type ServerReply =
  | { type: 'ready'; port: number; rss: number }
  | { type: 'started' }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'error'; message: string };

export type BotsCommand =
  | { type: 'setup'; port: number; meetings: number[]; bots: number }
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

/** A forked child process, with request/reply over IPC and a time limit on every wait. */
export class Child<Command, Reply extends { type: string }> {
  readonly process: ChildProcess;
  readonly #inbox: Reply[] = [];
  readonly #waiters: Array<{
    type: string;
    resolve: (r: Reply) => void;
    reject: (e: Error) => void;
  }> = [];
  #exited = false;
  /** Set once the child reported an error or exited; later waits fail at once with it. */
  #failure: Error | null = null;

  constructor(role: keyof typeof CHILD_MODULES) {
    this.process = fork(path.join(__dirname, CHILD_MODULES[role]), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.process.on('message', (message: Reply) => {
      if (message.type === 'error') {
        const detail = 'message' in message ? String(message.message) : 'error';
        this.#failAll(new Error(`${role}: ${detail}`));
        return;
      }
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(message);
      else this.#inbox.push(message);
    });
    this.process.on('exit', (code) => {
      this.#exited = true;
      this.#failAll(this.#failure ?? new Error(`${role} process exited (code ${code})`));
    });
  }

  send(command: Command): void {
    if (!this.#exited) this.process.send(command as object);
  }

  /** The next reply of `type`, or an error after `ms`. */
  expect<T extends Reply['type']>(type: T, ms: number): Promise<Extract<Reply, { type: T }>> {
    const queued = this.#inbox.findIndex((m) => m.type === type);
    if (queued >= 0)
      return Promise.resolve(this.#inbox.splice(queued, 1)[0] as Extract<Reply, { type: T }>);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`no '${type}' within ${ms} ms`));
      }, ms);
      const waiter = {
        type,
        resolve: (r: Reply) => {
          clearTimeout(timer);
          resolve(r as Extract<Reply, { type: T }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  request<T extends Reply['type']>(
    command: Command,
    type: T,
    ms: number,
  ): Promise<Extract<Reply, { type: T }>> {
    const answer = this.expect(type, ms);
    this.send(command);
    return answer;
  }

  /** Sends `command` (if any) and waits up to `ms` for the process to exit; kills it after that. */
  async end(command: Command | null, ms: number): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (command) this.send(command);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
  }

  #failAll(error: Error): void {
    this.#failure ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }
}
