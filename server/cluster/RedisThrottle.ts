/**
 * A token-bucket rate limiter in Redis, shared by every node: one hash per key (tokens, time of the
 * last take) updated atomically by a Lua script on Redis's own clock, expiring once the bucket
 * would be full again, so Redis holds only keys active within about a minute. Keys are hashed:
 * a client-chosen username costs Redis 22 bytes of key, whatever its length.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { Rate, RateLimiter } from '../Throttle';

const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'k', 'at')
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'k', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
return ok
`;

export class RedisThrottle implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #rate: Rate;

  constructor(redis: Redis, prefix: string, rate: Rate) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#rate = rate;
  }

  async take(key: string): Promise<boolean> {
    try {
      const ok = await this.#redis.eval(
        TAKE,
        1,
        this.#key(key),
        String(this.#rate.perMinute / 60_000),
        String(this.#rate.burst),
      );
      return ok === 1;
    } catch {
      // Fail closed: without Redis nobody can tell how often this key acted.
      throw new MeetingError(ErrorCode.SERVER_BUSY, 'rate limiter unavailable; try again shortly');
    }
  }

  async forget(key: string): Promise<void> {
    await this.#redis.del(this.#key(key)).catch(() => undefined);
  }

  #key(key: string): string {
    return this.#prefix + createHash('sha256').update(key).digest('base64url').slice(0, 22);
  }
}
