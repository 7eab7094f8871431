import assert from 'node:assert/strict';
import {
  FACE_EFFECTS,
  FaceEffects,
  isFaceEffect,
  type FaceEffect,
} from '../../../client/media/effects/FaceEffects';
import { FaceTracker } from '../../../client/media/effects/FaceTracker';
import type { FaceRect } from '../../../client/media/effects/regions';
import { VideoFrame } from '../../../client/media/frames';
import { cv } from '../../../client/media/native/opencv';
import { core, farRegion, megamindFrame, megamindPixels, regionDiff, roughness } from './helpers';

/** Frames 102..131 of Megamind.avi are one shot with one face (see facetracker.test.ts). */
const SHOT_START = 102;
const SHOT_END = 131;

/** Runs `effects` over frames from..to and returns the last input (a copy) and output. */
function run(
  effects: FaceEffects,
  from: number,
  to: number,
): { input: Buffer; output: VideoFrame; face: FaceRect | null } {
  let input = Buffer.alloc(0);
  let output: VideoFrame | null = null;
  for (let i = from; i <= to; i++) {
    const frame = megamindFrame(i);
    input = Buffer.from(frame.data);
    output = effects.apply(frame);
  }
  assert.ok(output);
  return { input, output, face: effects.lastFace };
}

describe('FaceEffects', function () {
  before(function () {
    megamindPixels();
  });

  it('lists its effects and recognises their names', function () {
    assert.deepEqual(
      [...FACE_EFFECTS],
      ['none', 'blur', 'pixelate', 'glasses', 'beauty', 'background-blur'],
    );
    for (const e of FACE_EFFECTS) assert.ok(isFaceEffect(e));
    for (const v of ['', 'Blur', 'sepia', 3, null, undefined, {}])
      assert.equal(isFaceEffect(v), false);
    assert.throws(() => new FaceEffects({ effect: 'sepia' as FaceEffect }), TypeError);
    const fx = new FaceEffects();
    assert.equal(fx.effect, 'none');
    assert.throws(() => fx.setEffect('sepia' as FaceEffect), /effect must be one of/);
    assert.equal(fx.effect, 'none');
  });

  it("'none' changes nothing and never runs the detector", function () {
    const tracker = new FaceTracker();
    const fx = new FaceEffects({ tracker });
    for (let i = SHOT_START; i < SHOT_START + 10; i++) {
      const frame = megamindFrame(i);
      const before = Buffer.from(frame.data);
      const out = fx.apply(frame);
      assert.equal(out, frame);
      assert.ok(out.data.equals(before), `frame ${i} unchanged`);
      assert.equal(fx.lastFace, null);
    }
    assert.equal(tracker.stats.frames, 0, 'the tracker saw no frame');
    assert.equal(fx.timings.none.frames, 10);
    assert.equal(fx.tracker, tracker);
    // and without a tracker given, none is made until a face effect is chosen
    const lazy = new FaceEffects();
    lazy.apply(megamindFrame(SHOT_START));
    assert.equal(lazy.tracker, null);
  });

  // face effects: inside the face the picture changes; far from the person, not one byte does
  const faceCases: Array<[FaceEffect, number]> = [
    ['blur', 15],
    ['pixelate', 10],
    ['glasses', 15],
    ['beauty', 3],
  ];
  for (const [effect, threshold] of faceCases) {
    it(`'${effect}' changes the face region (mean |diff| > ${threshold}) and leaves far regions untouched`, function () {
      const fx = new FaceEffects({ effect });
      const { input, output, face } = run(fx, SHOT_START, SHOT_START + 12);
      assert.ok(face, 'a face is tracked');
      assert.equal(fx.lastError, null);
      const inside = regionDiff(input, output.data, core(face));
      const far = farRegion(input, face);
      const outside = regionDiff(input, output.data, far);
      assert.ok(inside > threshold, `face region changed by ${inside.toFixed(2)}`);
      assert.equal(outside, 0, `far region ${JSON.stringify(far)} changed by ${outside}`);
      if (effect === 'blur' || effect === 'beauty') {
        // both smooth the face: less fine detail than before
        const was = roughness(input, core(face));
        const now = roughness(output.data, core(face));
        assert.ok(now < 0.9 * was, `detail ${was.toFixed(2)} -> ${now.toFixed(2)}`);
      }
      const t = fx.timings[effect];
      assert.equal(t.frames, 13);
      assert.equal(t.errors, 0);
      assert.ok(t.meanMs > 0 && t.maxMs >= t.meanMs, JSON.stringify(t));
    });
  }

  it("'background-blur' blurs far regions and leaves the face (nearly) as it was", function () {
    const fx = new FaceEffects({ effect: 'background-blur' });
    const { input, output, face } = run(fx, SHOT_START, SHOT_START + 12);
    assert.ok(face, 'a face is tracked');
    assert.equal(fx.lastError, null);
    const inside = regionDiff(input, output.data, core(face));
    const far = farRegion(input, face);
    const outside = regionDiff(input, output.data, far);
    assert.ok(inside < 0.5, `face region changed by ${inside.toFixed(2)}`);
    assert.ok(outside > 8, `far region ${JSON.stringify(far)} changed by ${outside.toFixed(2)}`);
  });

  it("'background-blur' without a face blurs the whole picture", function () {
    const fx = new FaceEffects({ effect: 'background-blur', tracker: { holdMs: 0 } });
    // a bright noise picture: no face in it, plenty of detail for the blur to remove
    const data = Buffer.alloc(640 * 480 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const before = Buffer.from(data);
    fx.apply(new VideoFrame(data, 640, 480, 0, 0));
    assert.equal(fx.lastFace, null);
    assert.ok(regionDiff(before, data, { x: 0, y: 0, width: 640, height: 480 }) > 20);
  });

  it('switching effects mid-stream takes effect on the very next frame', function () {
    // two chains over the same frames: A switches blur -> glasses, B does glasses throughout; the
    // tracker depends only on the input, so from the switch on their outputs must be identical
    const a = new FaceEffects({ effect: 'blur' });
    const b = new FaceEffects({ effect: 'glasses' });
    const switchAt = SHOT_START + 8;
    for (let i = SHOT_START; i < switchAt; i++) {
      const outA = a.apply(megamindFrame(i));
      const outB = b.apply(megamindFrame(i));
      assert.ok(!outA.data.equals(outB.data), `frame ${i}: blur and glasses differ`);
    }
    a.setEffect('glasses');
    assert.equal(a.effect, 'glasses');
    for (let i = switchAt; i < switchAt + 3; i++) {
      assert.ok(
        a.apply(megamindFrame(i)).data.equals(b.apply(megamindFrame(i)).data),
        `frame ${i} identical`,
      );
    }
    // to 'none': the next frame goes out untouched
    a.setEffect('none');
    const plain = megamindFrame(switchAt + 3);
    const copy = Buffer.from(plain.data);
    assert.ok(a.apply(plain).data.equals(copy));
    // and back from 'none' to pixelate: the tracker starts afresh and the next frame is pixelated
    a.setEffect('pixelate');
    const next = megamindFrame(switchAt + 4);
    const original = Buffer.from(next.data);
    a.apply(next);
    const face = a.lastFace;
    assert.ok(face, 'face found on the first frame after the switch');
    assert.ok(regionDiff(original, next.data, core(face)) > 6);
    assert.equal(a.timings.glasses.frames, 3);
    assert.equal(a.timings.none.frames, 1);
    assert.equal(a.timings.pixelate.frames, 1);
  });

  it('keeps the effect on frames where the detector does not run (no flicker)', function () {
    const fx = new FaceEffects({ effect: 'pixelate', tracker: { detectEvery: 3 } });
    let changed = 0;
    for (let i = SHOT_START; i <= SHOT_END; i++) {
      const frame = megamindFrame(i);
      const before = Buffer.from(frame.data);
      fx.apply(frame);
      const face = fx.lastFace;
      if (face && regionDiff(before, frame.data, core(face)) > 6) changed++;
    }
    const frames = SHOT_END - SHOT_START + 1;
    assert.ok(changed >= frames - 1, `pixelated on ${changed} of ${frames} frames`);
    const stats = fx.trackerStats;
    assert.ok(stats);
    assert.equal(stats.detections, Math.ceil(frames / 3));
  });

  it('works on other frame sizes (320x240)', function () {
    const fx = new FaceEffects({ effect: 'blur' });
    let face: FaceRect | null = null;
    let changed = 0;
    for (let i = SHOT_START; i < SHOT_START + 4; i++) {
      const full = megamindFrame(i);
      const mat = new cv.Mat(full.data, 480, 640, cv.CV_8UC3).resize(240, 320, 0, 0, cv.INTER_AREA);
      const frame = new VideoFrame(mat.getData(), 320, 240, full.timestamp, i);
      const before = Buffer.from(frame.data);
      fx.apply(frame);
      face = fx.lastFace;
      if (face) changed = regionDiff(before, frame.data, core(face), 320);
    }
    assert.ok(
      face && face.x + face.width <= 320 && face.y + face.height <= 240,
      JSON.stringify(face),
    );
    assert.ok(changed > 8, `face region changed by ${changed}`);
  });
});
