/**
 * The Piscina worker pool for CPU-heavy work (password hashing now; recording conversion later).
 * A full queue becomes ERR_SERVER_BUSY; an AbortSignal drops the answer for a client that left.
 */
import path from 'node:path';
import { Piscina } from 'piscina';
import { WORKER_POOL_MAX_QUEUE, WORKER_POOL_MAX_THREADS } from '../common/constants';
import { ErrorCode, MeetingError } from '../common/errors';

export interface AuthPoolOptions {
  maxThreads?: number;
  maxQueue?: number;
  /** Hears each task's name and time in seconds, queue wait included (metrics). */
  onTask?: (task: string, seconds: number) => void;
}

/** A hash that verifies no password, used so unknown users cost as much time as known ones. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AuthPool {
  readonly #pool: Piscina;
  readonly #onTask: ((task: string, seconds: number) => void) | undefined;
  #closed = false;

  constructor(options: AuthPoolOptions = {}) {
    const maxThreads = options.maxThreads ?? WORKER_POOL_MAX_THREADS;
    this.#onTask = options.onTask;
    this.#pool = new Piscina({
      filename: path.join(__dirname, 'workers', 'auth.js'),
      minThreads: 1,
      maxThreads,
      maxQueue: options.maxQueue ?? WORKER_POOL_MAX_QUEUE,
    });
  }

  /** Tasks waiting for a thread. */
  get queueSize(): number {
    return this.#pool.queueSize;
  }

  hashPassword(password: string, signal?: AbortSignal): Promise<string> {
    return this.#run<string>(password, 'hashPassword', signal);
  }

  /** Verifies `password` against `hash`; with no hash, spends the same time and answers false. */
  verifyPassword(password: string, hash: string | null, signal?: AbortSignal): Promise<boolean> {
    return this.#run<boolean>(
      { password, hash: hash ?? DUMMY_HASH },
      'verifyPassword',
      signal,
    ).then((ok) => ok && hash !== null);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close({ force: true });
  }

  /**
   * Runs a task. `signal` is checked before and after, not handed to piscina: piscina ends the
   * worker thread of an aborted running task (and exempts abortable tasks from `maxQueue`), so a
   * client that connects and leaves during each hash would make the pool restart threads.
   */
  async #run<T>(task: unknown, name: string, signal?: AbortSignal): Promise<T> {
    if (this.#closed) throw new MeetingError(ErrorCode.SHUTTING_DOWN, 'server is shutting down');
    if (signal?.aborted) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client left');
    let result: T;
    const started = performance.now();
    try {
      result = (await this.#pool.run(task, { name })) as T;
      this.#onTask?.(name, (performance.now() - started) / 1000);
    } catch (error) {
      if (error instanceof Error && /queue is at limit/i.test(error.message)) {
        throw new MeetingError(ErrorCode.SERVER_BUSY, 'server busy, try again shortly');
      }
      throw error;
    }
    // Nobody waits for the answer any more.
    if (signal?.aborted) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client left');
    return result;
  }
}
