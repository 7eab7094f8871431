/** Rate-limit building blocks: a token bucket refills at its rate; a throttle's keys are bounded. */
import assert from 'node:assert/strict';
import { Throttle } from '../../server/Throttle';
import { TokenBucket } from '../../server/TokenBucket';

describe('rate limits', () => {
  it('a token bucket allows its burst, then refills at its rate', () => {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual(
      [b.take(1, 0), b.take(1, 0), b.take(1, 0), b.take(1, 0)],
      [true, true, true, false],
    );
    assert.equal(b.take(1, 50), false, 'half a token after 50 ms');
    assert.equal(b.take(1, 100), true, 'one token after 100 ms at 10/s');
    assert.equal(b.take(5, 10_000), false, 'never more than the burst');
  });

  it('a throttle limits each key on its own and forgets the least recently used past its cap', () => {
    const t = new Throttle({ perMinute: 1, burst: 1 }, 3);
    assert.equal(t.take('a', 0), true);
    assert.equal(t.take('a', 0), false, 'a is over its rate');
    assert.equal(t.take('b', 0), true, 'b has its own bucket');
    t.take('c', 0);
    assert.equal(t.take('a', 0), false, 'a is still remembered (3 keys)');
    t.take('d', 0); // a fourth key: b, the least recently used, is forgotten
    assert.equal(t.take('a', 0), false, 'a was used recently and is kept');
    assert.equal(t.take('b', 0), true, 'b was forgotten: memory stays bounded');
  });
});
