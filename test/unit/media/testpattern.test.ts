import assert from 'node:assert/strict';
import { decodeJpegBgr, encodeJpeg } from '../../../client/media/codec/Jpeg';
import { VideoFrame } from '../../../client/media/frames';
import {
  TestPattern,
  readPatternStamp,
  writePatternStamp,
} from '../../../client/media/capture/TestPattern';

describe('TestPattern', function () {
  const pattern = new TestPattern();
  const timestamp = 1_763_740_000_123; // an epoch-ms time (41 bits)

  it('makes 640x480 BGR frames that carry their frame number and timestamp', function () {
    const frame = pattern.frame(1234, timestamp + 0.7);
    assert.equal(frame.width, 640);
    assert.equal(frame.height, 480);
    assert.equal(frame.data.length, 640 * 480 * 3);
    assert.equal(frame.frameNumber, 1234);
    assert.equal(frame.timestamp, timestamp, 'the timestamp is whole milliseconds, as stamped');
    assert.deepEqual(readPatternStamp(frame.data, 640, 480), { frameNumber: 1234, timestamp });
  });

  it('consecutive frames differ (moving bars)', function () {
    const a = pattern.render(10, 0);
    const b = pattern.render(11, 0);
    let changed = 0;
    for (let i = 0; i < a.length; i += 3)
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed++;
    // besides the stamp, both bars moved
    assert.ok(changed > 5000, `${changed} pixels changed`);
  });

  for (const quality of [50, 70, 90]) {
    it(`the stamp survives JPEG at q=${quality} exactly`, function () {
      for (const [n, ts] of [
        [0, 0],
        [1, timestamp],
        [0xffffffff, 2 ** 48 - 1],
        [987_654, timestamp + 99_999],
      ]) {
        const jpeg = encodeJpeg(pattern.frame(n, ts), quality);
        const back = decodeJpegBgr(jpeg);
        assert.deepEqual(
          readPatternStamp(back.data, back.width, back.height),
          { frameNumber: n, timestamp: ts },
          `frame ${n}`,
        );
      }
    });
  }

  it('works at other sizes (320x240) through JPEG', function () {
    const small = new TestPattern({ width: 320, height: 240 });
    const back = decodeJpegBgr(encodeJpeg(small.frame(77, timestamp), 70));
    assert.deepEqual(readPatternStamp(back.data, 320, 240), { frameNumber: 77, timestamp });
  });

  it('reads null when there is no stamp or it is damaged', function () {
    assert.equal(readPatternStamp(Buffer.alloc(640 * 480 * 3), 640, 480), null);
    assert.equal(readPatternStamp(Buffer.alloc(640 * 480 * 3, 255), 640, 480), null);
    const data = pattern.render(5, timestamp);
    // flip one block of the frame number (row 0, block 20) from black to white or back
    const x = 16 * 21 + 8;
    const y = 16 + 8;
    const p = (y * 640 + x) * 3;
    const value = data[p] > 127 ? 0 : 255;
    for (let row = 16; row < 32; row++)
      data.fill(value, (row * 640 + 16 * 21) * 3, (row * 640 + 16 * 22) * 3);
    assert.equal(readPatternStamp(data, 640, 480), null, 'checksum mismatch');
    assert.equal(
      readPatternStamp(Buffer.alloc(100 * 100 * 3), 100, 100),
      null,
      'too small for a stamp',
    );
  });

  it('writePatternStamp stamps any BGR image, e.g. a camera frame', function () {
    const image = Buffer.alloc(400 * 300 * 3, 128);
    writePatternStamp(image, 400, 300, { frameNumber: 3, timestamp: 42 });
    assert.deepEqual(readPatternStamp(image, 400, 300), { frameNumber: 3, timestamp: 42 });
    assert.throws(
      () => writePatternStamp(image, 400, 300, { frameNumber: -1, timestamp: 0 }),
      RangeError,
    );
    assert.throws(
      () => writePatternStamp(image, 400, 300, { frameNumber: 0, timestamp: 2 ** 48 }),
      RangeError,
    );
    assert.throws(() => readPatternStamp(image, 401, 300), TypeError);
  });

  it('rejects sizes too small for the stamp', function () {
    assert.throws(() => new TestPattern({ width: 100, height: 100 }), RangeError);
    assert.throws(() => new VideoFrame(Buffer.alloc(10), 640, 480, 0, 0), TypeError);
  });

  it('renders a frame in a few ms', function () {
    const out = Buffer.alloc(640 * 480 * 3);
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) pattern.render(i, timestamp, out);
    const ms = (performance.now() - t0) / 30;
    console.log(`      test pattern: ${ms.toFixed(2)} ms/frame at 640x480`);
    assert.ok(ms < 15);
  });
});
