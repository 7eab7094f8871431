/** Database writes in flight: failures are logged, and `settled()` lets a shutdown lose nothing. */
import type { Logger } from './logger';

export class Writes {
  readonly #pending = new Set<Promise<unknown>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Tracks a write that nobody awaits. */
  track(write: Promise<unknown>): void {
    const tracked = write
      .catch((error: unknown) => this.#logger.error({ err: error }, 'database write failed'))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Resolves once every tracked write has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
