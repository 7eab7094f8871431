/** A token bucket: `rate` units per second, bursts up to `burst`; `take` says whether it fits. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now = performance.now()) {
    if (!(rate > 0) || !(burst > 0)) throw new TypeError('rate and burst must be positive');
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes `amount` tokens if there are enough; false (and nothing taken) otherwise. */
  take(amount: number, now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }
}
