import assert from 'node:assert/strict';
import { FrameQueue } from '../../../client/media/capture/FrameQueue';

describe('FrameQueue', function () {
  it('drops the oldest items beyond its capacity and counts them', async function () {
    const q = new FrameQueue<number>(2);
    for (let i = 1; i <= 5; i++) q.push(i);
    assert.equal(q.dropped, 3);
    assert.deepEqual(await q.next(), { value: 4, done: false });
    assert.deepEqual(await q.next(), { value: 5, done: false });
  });

  it('a waiting next() gets the next push; end() delivers what is queued, then done', async function () {
    const q = new FrameQueue<string>(4);
    const waiting = q.next();
    q.push('a');
    assert.deepEqual(await waiting, { value: 'a', done: false });
    q.push('b');
    q.end();
    q.push('ignored');
    assert.deepEqual(await q.next(), { value: 'b', done: false });
    assert.equal((await q.next()).done, true);
  });

  it('a for-await loop that breaks runs the cleanup once', async function () {
    let cleanups = 0;
    const q = new FrameQueue<number>(4, () => cleanups++);
    q.push(1);
    q.push(2);
    for await (const v of q) if (v === 1) break;
    assert.equal(cleanups, 1);
    q.end();
    assert.equal(cleanups, 1);
    assert.equal((await q.next()).done, true);
  });
});
