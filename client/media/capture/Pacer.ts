/**
 * A periodic timer on `setTimeout` with drift correction: each tick is scheduled against an absolute
 * due time (start + n * interval), so timer lateness does not accumulate. When the event loop falls
 * behind, up to `maxCatchUp` overdue ticks run at once (audio wants every frame) and the rest are
 * skipped and counted (video wants the newest frame, not a burst).
 */
import { nowMs } from '../../../common/clock';

/** Options of a `Pacer`. */
export interface PacerOptions {
  /** Overdue ticks run back to back in one wake-up before the rest are skipped (default 1). */
  maxCatchUp?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export class Pacer {
  readonly #intervalMs: number;
  readonly #onTick: (dueMs: number) => void;
  readonly #maxCatchUp: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #next = 0;
  #ticks = 0;
  #skipped = 0;

  /** `onTick(dueMs)` runs every `intervalMs`; `dueMs` is the tick's ideal time. */
  constructor(intervalMs: number, onTick: (dueMs: number) => void, options: PacerOptions = {}) {
    if (!(intervalMs > 0)) throw new TypeError(`intervalMs must be positive, got ${intervalMs}`);
    this.#intervalMs = intervalMs;
    this.#onTick = onTick;
    this.#maxCatchUp = Math.max(1, Math.floor(options.maxCatchUp ?? 1));
    this.#now = options.now ?? nowMs;
  }

  /** Interval between ticks (ms). */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** Ticks run so far. */
  get ticks(): number {
    return this.#ticks;
  }

  /** Ticks skipped because the event loop fell too far behind. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Starts ticking; the first tick runs on the next turn of the event loop. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#next = this.#now();
    this.#schedule();
  }

  /** Stops ticking; no tick runs after this returns (also when called from inside a tick). */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    const delay = Math.max(0, this.#next - this.#now());
    this.#timer = setTimeout(this.#wake, delay);
  }

  readonly #wake = (): void => {
    this.#timer = null;
    if (!this.#running) return;
    const now = this.#now();
    // a timer may fire up to 1 ms early after rounding; treat that as on time
    for (let n = 0; n < this.#maxCatchUp && this.#next <= now + 1; n++) {
      const due = this.#next;
      this.#next += this.#intervalMs;
      this.#ticks++;
      this.#onTick(due);
      if (!this.#running) return;
    }
    if (this.#next <= now) {
      const behind = Math.floor((now - this.#next) / this.#intervalMs) + 1;
      this.#skipped += behind;
      this.#next += behind * this.#intervalMs;
    }
    this.#schedule();
  };
}
