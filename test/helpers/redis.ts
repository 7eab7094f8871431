/** The real Redis the cluster tests use (MEETING_TEST_REDIS_URL overrides), with a key prefix per test. */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.MEETING_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix and how to delete every key under it. */
export function testRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `meeting-test:${process.pid}:${crypto.randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
