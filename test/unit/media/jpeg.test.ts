import assert from 'node:assert/strict';
import {
  decodeJpeg,
  decodeJpegBgr,
  decodeJpegFrame,
  encodeJpeg,
} from '../../../client/media/codec/Jpeg';
import { VideoFrame } from '../../../client/media/frames';
import { TestPattern } from '../../../client/media/capture/TestPattern';

/** A 640x480 BGR frame: left half pure blue, right half pure red. */
function halves(): VideoFrame {
  const data = Buffer.alloc(640 * 480 * 3);
  for (let y = 0; y < 480; y++) {
    for (let x = 0; x < 640; x++) {
      const p = (y * 640 + x) * 3;
      if (x < 320) data[p] = 255;
      else data[p + 2] = 255;
    }
  }
  return new VideoFrame(data, 640, 480, 0, 0);
}

function pixel(data: Buffer, width: number, x: number, y: number): number[] {
  const p = (y * width + x) * 3;
  return [data[p], data[p + 1], data[p + 2]];
}

describe('Jpeg', function () {
  it('encode -> decode keeps the size and the colours (BGR in, RGB and BGR out)', function () {
    const jpeg = encodeJpeg(halves(), 70);
    assert.equal(jpeg[0], 0xff);
    assert.equal(jpeg[1], 0xd8);
    const rgb = decodeJpeg(jpeg);
    assert.equal(rgb.width, 640);
    assert.equal(rgb.height, 480);
    assert.equal(rgb.data.length, 640 * 480 * 3);
    const [r1, g1, b1] = pixel(rgb.data, 640, 100, 240);
    assert.ok(b1 > 200 && r1 < 50 && g1 < 50, `left is blue in RGB order: ${[r1, g1, b1]}`);
    const [r2, g2, b2] = pixel(rgb.data, 640, 540, 240);
    assert.ok(r2 > 200 && b2 < 50 && g2 < 50, `right is red in RGB order: ${[r2, g2, b2]}`);
    const bgr = decodeJpegBgr(jpeg);
    assert.deepEqual(pixel(bgr.data, 640, 100, 240), [b1, g1, r1]);
    const frame = decodeJpegFrame(jpeg, 123, 9);
    assert.equal(frame.timestamp, 123);
    assert.equal(frame.frameNumber, 9);
  });

  it('quality changes the size; the mean error stays small at q=70', function () {
    const frame = new TestPattern().frame(3, 0);
    const q50 = encodeJpeg(frame, 50);
    const q90 = encodeJpeg(frame, 90);
    assert.ok(q50.length < q90.length, `${q50.length} < ${q90.length}`);
    const back = decodeJpegBgr(encodeJpeg(frame, 70));
    let err = 0;
    for (let i = 0; i < back.data.length; i++) err += Math.abs(back.data[i] - frame.data[i]);
    assert.ok(err / back.data.length < 4, `mean abs error ${err / back.data.length}`);
    assert.throws(() => encodeJpeg(frame, 0), TypeError);
    assert.throws(() => encodeJpeg(frame, 101), TypeError);
  });

  it('throws ERR_MEDIA_BAD_JPEG on empty, foreign or corrupt input (OpenCV alone would abort or return nothing)', function () {
    const bad = { code: 'ERR_MEDIA_BAD_JPEG' };
    assert.throws(() => decodeJpeg(Buffer.alloc(0)), bad);
    assert.throws(
      () =>
        decodeJpeg(
          Buffer.from(
            'definitely not a jpeg, just some text that is long enough to pass the length check ....................',
          ),
        ),
      bad,
    );
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(200)]);
    assert.throws(() => decodeJpeg(png), bad);
    const garbage = Buffer.alloc(2000, 0x55);
    garbage[0] = 0xff;
    garbage[1] = 0xd8;
    garbage[2] = 0xff;
    assert.throws(() => decodeJpeg(garbage), bad);
    const good = encodeJpeg(halves(), 70);
    assert.throws(() => decodeJpegBgr(good.subarray(0, 100)), bad);
    assert.throws(() => decodeJpegBgr(good.subarray(0, good.length >> 1)), bad, 'truncated');
    assert.equal(
      decodeJpegBgr(Buffer.concat([good, Buffer.alloc(8)])).width,
      640,
      'padding after the end marker is fine',
    );
  });

  it('measures encode/decode time of a 640x480 frame', function () {
    const frames = Array.from({ length: 20 }, (_, i) => new TestPattern().frame(i, 0));
    let t0 = performance.now();
    const jpegs = frames.map((f) => encodeJpeg(f, 70));
    const encodeMs = (performance.now() - t0) / frames.length;
    t0 = performance.now();
    for (const j of jpegs) decodeJpeg(j);
    const decodeMs = (performance.now() - t0) / jpegs.length;
    const kb = jpegs.reduce((n, j) => n + j.length, 0) / jpegs.length / 1024;
    console.log(
      `      jpeg q=70 640x480: encode ${encodeMs.toFixed(2)} ms, decode to RGB ${decodeMs.toFixed(2)} ms, ${kb.toFixed(1)} KB`,
    );
    assert.ok(encodeMs < 30 && decodeMs < 30);
  });
});
