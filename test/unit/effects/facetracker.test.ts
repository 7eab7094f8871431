import assert from 'node:assert/strict';
import fs from 'node:fs';
import { MediaError } from '../../../client/media/errors';
import { findFaceCascade } from '../../../client/media/effects/cascade';
import { FaceTracker } from '../../../client/media/effects/FaceTracker';
import { clampRect, expandRect, iou, type FaceRect } from '../../../client/media/effects/regions';
import { VideoFrame } from '../../../client/media/frames';
import {
  FRAME_MS,
  HEIGHT,
  MESSI_FACE,
  WIDTH,
  megamindFrame,
  megamindPixels,
  messiFrame,
} from './helpers';

function centre(r: FaceRect): [number, number] {
  return [r.x + r.width / 2, r.y + r.height / 2];
}

describe('FaceTracker', function () {
  before(function () {
    megamindPixels(); // read the video once, outside the timed tests
  });

  it('finds a frontal-face cascade file and rejects one that does not exist', function () {
    const file = findFaceCascade();
    assert.ok(fs.existsSync(file), file);
    assert.match(file, /haarcascade_frontalface_(alt2|default)\.xml$/);
    assert.throws(
      () => new FaceTracker({ cascadePath: '/nonexistent/cascade.xml' }),
      (e: unknown) => e instanceof MediaError && e.code === 'ERR_MEDIA_OPEN_FAILED',
    );
  });

  it('rejects bad options with a TypeError naming the field', function () {
    assert.throws(() => new FaceTracker({ detectEvery: 0 }), /detectEvery/);
    assert.throws(() => new FaceTracker({ detectWidth: 20 }), /detectWidth/);
    assert.throws(() => new FaceTracker({ positionSmoothing: 2 }), /positionSmoothing/);
  });

  it("finds Messi's face in messi5.jpg resized to 640x480", function () {
    // his face is small (about 48 px of 640): detect at 320 px wide and allow faces of 1/20 of it
    const tracker = new FaceTracker({ detectWidth: 320, minFaceFraction: 1 / 20 });
    const face = tracker.update(messiFrame());
    assert.ok(face, 'a face is reported');
    const best = Math.max(...tracker.detections.map((d) => iou(d, MESSI_FACE)));
    assert.ok(
      best > 0.5,
      `a detection covers his face ${JSON.stringify(MESSI_FACE)}: ${JSON.stringify(tracker.detections)}`,
    );
  });

  it('finds the face in Megamind frames, detecting on every 3rd frame and following in between', function () {
    const tracker = new FaceTracker({ detectEvery: 3 });
    const n = megamindPixels().length;
    let withFace = 0;
    let skippedWithFace = 0;
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const before = tracker.stats.detections;
      const face = tracker.update(megamindFrame(i));
      const detected = tracker.stats.detections > before;
      assert.equal(detected, i % 3 === 0, `the detector runs on frame ${i} only if i % 3 == 0`);
      if (face) withFace++;
      if (!detected) {
        skipped++;
        if (face) skippedWithFace++;
      }
    }
    const stats = tracker.stats;
    assert.equal(stats.frames, n);
    assert.equal(stats.detections, Math.ceil(n / 3));
    assert.ok(stats.detectionsWithFace >= 0.8 * stats.detections, JSON.stringify(stats));
    assert.ok(withFace >= 0.9 * n, `face in ${withFace} of ${n} frames`);
    assert.ok(
      skippedWithFace >= 0.9 * skipped,
      `face kept in ${skippedWithFace} of ${skipped} frames without detection`,
    );
    assert.ok(
      stats.followed > 0.5 * skipped,
      `template following moved the face on ${stats.followed} frames`,
    );
    // the video has a handful of cuts; each may start a new track, nothing more
    assert.ok(stats.acquired >= 2 && stats.acquired <= 10, JSON.stringify(stats));
  });

  it('keeps the face across frames without detection, and for holdMs after it disappears', function () {
    const tracker = new FaceTracker({ detectEvery: 3, holdMs: 400, follow: false });
    const face = tracker.update(megamindFrame(110));
    assert.ok(face, 'face on the first frame');
    // frames 1 and 2 run no detection: the face stays where it was (no follow)
    const black = (i: number): VideoFrame =>
      new VideoFrame(
        Buffer.alloc(WIDTH * HEIGHT * 3),
        WIDTH,
        HEIGHT,
        110 * FRAME_MS + i * FRAME_MS,
        110 + i,
      );
    assert.deepEqual(tracker.update(black(1)), face);
    assert.deepEqual(tracker.update(black(2)), face);
    // frame 3 runs the detector on a black picture: nothing found, the face is held...
    assert.deepEqual(tracker.update(black(3)), face);
    assert.deepEqual(tracker.update(black(6)), face, 'still held after 6 frames (400 ms)');
    // ...until holdMs has passed since it was last seen
    assert.equal(tracker.update(black(7)), null, 'dropped after 467 ms');
    assert.equal(tracker.stats.lost, 1);
    assert.equal(tracker.face, null);
  });

  it('moves the rectangle smoothly: bounded change of position and size from frame to frame', function () {
    const tracker = new FaceTracker({ detectEvery: 3 });
    const raw = new FaceTracker({
      detectEvery: 1,
      positionSmoothing: 1,
      sizeSmoothing: 1,
      follow: false,
    });
    let previous: FaceRect | null = null;
    let previousTrack = 0;
    let maxShift = 0;
    let maxResize = 0;
    let rawShift = 0;
    let previousRaw: FaceRect | null = null;
    let previousRawTrack = 0;
    for (let i = 0; i < megamindPixels().length; i++) {
      const frame = megamindFrame(i);
      const face = tracker.update(frame);
      if (face && previous && tracker.trackId === previousTrack) {
        const [x0, y0] = centre(previous);
        const [x1, y1] = centre(face);
        maxShift = Math.max(maxShift, Math.hypot(x1 - x0, y1 - y0) / previous.width);
        maxResize = Math.max(maxResize, Math.abs(face.width / previous.width - 1));
      }
      previous = face;
      previousTrack = tracker.trackId;
      const r = raw.update(frame);
      if (r && previousRaw && raw.trackId === previousRawTrack) {
        const [x0, y0] = centre(previousRaw);
        const [x1, y1] = centre(r);
        rawShift = Math.max(rawShift, Math.hypot(x1 - x0, y1 - y0) / previousRaw.width);
      }
      previousRaw = r;
      previousRawTrack = raw.trackId;
    }
    assert.ok(maxShift <= 0.2, `centre moved at most ${maxShift.toFixed(3)} face widths per frame`);
    assert.ok(maxResize <= 0.2, `size changed at most ${(maxResize * 100).toFixed(1)}% per frame`);
    assert.ok(
      maxShift < rawShift,
      `smoothed ${maxShift.toFixed(3)} < raw detections ${rawShift.toFixed(3)}`,
    );
  });

  it('forgets the face on reset() and detects again on the next frame', function () {
    const tracker = new FaceTracker({ detectEvery: 5 });
    assert.ok(tracker.update(megamindFrame(110)));
    tracker.update(megamindFrame(111));
    tracker.reset();
    assert.equal(tracker.face, null);
    const runs = tracker.stats.detections;
    assert.ok(tracker.update(megamindFrame(112)));
    assert.equal(tracker.stats.detections, runs + 1);
  });
});

describe('effects regions', function () {
  it('clamps and grows rectangles inside the frame', function () {
    assert.deepEqual(clampRect({ x: -10, y: -5, width: 30, height: 20 }, 640, 480), {
      x: 0,
      y: 0,
      width: 20,
      height: 15,
    });
    assert.equal(clampRect({ x: 700, y: 0, width: 30, height: 20 }, 640, 480), null);
    assert.deepEqual(
      expandRect(
        { x: 100, y: 100, width: 100, height: 100 },
        { left: 0.1, right: 0.1, top: 0.2, bottom: 0 },
        640,
        480,
      ),
      { x: 90, y: 80, width: 120, height: 120 },
    );
    assert.equal(
      iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 }),
      1,
    );
    assert.equal(
      iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 }),
      0,
    );
  });
});
