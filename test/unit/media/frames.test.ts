import assert from 'node:assert/strict';
import { AudioFrame, VideoFrame } from '../../../client/media/frames';

describe('media frames', function () {
  it('AudioFrame: 960 mono samples at 48 kHz last 20 ms', function () {
    const frame = new AudioFrame(new Int16Array(960), 48_000, 1, 1234.5);
    assert.equal(frame.samplesPerChannel, 960);
    assert.equal(frame.durationMs, 20);
    assert.equal(frame.timestamp, 1234.5);
    const stereo = new AudioFrame(new Int16Array(960), 48_000, 2);
    assert.equal(stereo.samplesPerChannel, 480);
    assert.equal(stereo.durationMs, 10);
  });

  it('AudioFrame rejects inconsistent data', function () {
    assert.throws(() => new AudioFrame(new Int16Array(961), 48_000, 2), TypeError);
    assert.throws(() => new AudioFrame(new Int16Array(960), 0, 1), TypeError);
    assert.throws(() => new AudioFrame(new Int16Array(960), 48_000, 0), TypeError);
    assert.throws(() => new AudioFrame(new Float32Array(960) as unknown as Int16Array), TypeError);
  });

  it('VideoFrame holds width*height*3 BGR bytes', function () {
    const frame = new VideoFrame(Buffer.alloc(4 * 2 * 3), 4, 2, 99, 7);
    assert.deepEqual(
      [frame.width, frame.height, frame.timestamp, frame.frameNumber],
      [4, 2, 99, 7],
    );
    assert.throws(() => new VideoFrame(Buffer.alloc(23), 4, 2, 0, 0), TypeError);
    assert.throws(() => new VideoFrame(Buffer.alloc(0), 0, 0, 0, 0), TypeError);
  });
});
