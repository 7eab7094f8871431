/**
 * A bounded async queue behind the sources' async iterators. Media must not queue without bound:
 * when the consumer is slower than the source, the oldest frame is dropped and counted.
 */
export class FrameQueue<T> implements AsyncIterableIterator<T> {
  readonly #capacity: number;
  readonly #onReturn: () => void;
  readonly #items: T[] = [];
  #waiter: ((result: IteratorResult<T>) => void) | null = null;
  #ended = false;
  #dropped = 0;

  /** `onReturn` runs once when the queue ends (consumer `break`, `return()` or `end()`). */
  constructor(capacity: number, onReturn: () => void = () => {}) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new TypeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#onReturn = onReturn;
  }

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** Adds an item, dropping the oldest one when full; ignored after the end. */
  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiter) {
      const resolve = this.#waiter;
      this.#waiter = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.#items.length >= this.#capacity) {
      this.#items.shift();
      this.#dropped++;
    }
    this.#items.push(item);
  }

  /** Ends the queue: items already queued are still delivered, then `done`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#waiter) {
      const resolve = this.#waiter;
      this.#waiter = null;
      resolve({ value: undefined, done: true });
    }
    this.#onReturn();
  }

  /** Next item, waiting for one if needed. */
  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter)
      return Promise.reject(new Error('FrameQueue supports one pending next() at a time'));
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Ends the queue early (a `for await` loop that breaks calls this). */
  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
