/**
 * A forked bench child (a compiled module), with request/reply over IPC and a time limit on every
 * wait. Replies are objects with a `type`; a reply `{ type: 'error', message }` or the child's exit
 * fails every wait at once. Shared by the relay and peers benches.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ChildOptions {
  env?: Record<string, string>;
  args?: string[];
  execArgv?: string[];
}

export class Child<Command, Reply extends { type: string }> {
  readonly process: ChildProcess;
  readonly #inbox: Reply[] = [];
  readonly #waiters: Array<{ type: string; settle: (r: Reply | Error) => void }> = [];
  #exited = false;
  /** Set once the child reported an error or exited; later waits fail at once with it. */
  #failure: Error | null = null;

  /**
   * Forks `modulePath`; `name` labels its errors. Options: `env` added to this process's, `args`
   * for the child, `execArgv` for Node itself (for example `--cpu-prof`).
   */
  constructor(modulePath: string, name: string, options: ChildOptions = {}) {
    const { env, args = [], execArgv = [] } = options;
    this.process = fork(modulePath, args, {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    this.process.on('message', (message: Reply) => {
      if (message.type === 'error') {
        const detail = 'message' in message ? String(message.message) : 'error';
        this.#fail(new Error(`${name}: ${detail}`));
        return;
      }
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.settle(message);
      else this.#inbox.push(message);
    });
    this.process.on('exit', (code) => {
      this.#exited = true;
      this.#fail(this.#failure ?? new Error(`${name} process exited (code ${code})`));
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
        settle: (r: Reply | Error) => {
          clearTimeout(timer);
          if (r instanceof Error) reject(r);
          else resolve(r as Extract<Reply, { type: T }>);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends `command` (if any) and waits up to `ms` for the reply of `type`. */
  request<T extends Reply['type']>(
    command: Command | null,
    type: T,
    ms: number,
  ): Promise<Extract<Reply, { type: T }>> {
    const answer = this.expect(type, ms);
    if (command !== null) this.send(command);
    return answer;
  }

  /** Sends `command` (if any), waits up to `ms` for the exit, then kills the process. */
  async end(command: Command | null, ms: number): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (command !== null) this.send(command);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const w of this.#waiters.splice(0)) w.settle(error);
  }
}
