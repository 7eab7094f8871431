/**
 * Rate limits keyed by address, account or member: one token bucket per key, at most `maxKeys`
 * keys (the least recently used is forgotten first), so a flood of new keys cannot grow memory.
 */
import { THROTTLE_MAX_KEYS } from '../common/constants';
import { TokenBucket } from './TokenBucket';

/** A rate: `burst` actions at once, refilled at `perMinute`. */
export interface Rate {
  perMinute: number;
  burst: number;
}

/**
 * A rate limiter, in memory (Throttle) or shared by several nodes (cluster/RedisThrottle): callers
 * `await` the answer, which a local limiter gives at once.
 */
export interface RateLimiter {
  /** Takes one action for `key`; false when it is over its rate. */
  take(key: string): boolean | Promise<boolean>;
  /** Forgets `key` (a successful login forgives the failures before it). */
  forget(key: string): void | Promise<void>;
}

export class Throttle implements RateLimiter {
  readonly #rate: Rate;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(rate: Rate, maxKeys = THROTTLE_MAX_KEYS) {
    this.#rate = rate;
    this.#maxKeys = maxKeys;
  }

  /** Takes one action for `key`; false when it is over its rate. */
  take(key: string, now = performance.now()): boolean {
    let bucket = this.#buckets.get(key);
    if (bucket) this.#buckets.delete(key);
    else bucket = new TokenBucket(this.#rate.perMinute / 60, this.#rate.burst, now);
    // Re-inserted last: the Map's order is least recently used first.
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return bucket.take(1, now);
  }

  /** Forgets `key` (a successful login forgives the failures before it). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }
}
