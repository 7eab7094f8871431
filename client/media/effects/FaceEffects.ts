/**
 * Face effects on the video send path (capture → effects → JPEG encode → link), on 8-bit BGR frames:
 *   blur             strong Gaussian blur of the face (elliptical, computed at 1/8 scale)
 *   pixelate         the face as coarse blocks (area downscale, nearest-neighbour upscale)
 *   glasses          sunglasses drawn over the eyes with OpenCV primitives
 *   beauty           skin smoothing: a bilateral filter on the face, blended with the original
 *   background-blur  everything blurred except the head and the body below it (feathered mask)
 * A `FaceTracker` supplies the face (detection every few frames, smoothed, held briefly when lost).
 * 'none' returns the frame untouched without running detection. The effect can be switched at any
 * time; the next `apply()` uses the new one.
 */
import { describeThrown } from '../errors';
import { VIDEO_BYTES_PER_PIXEL, type VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import {
  FACE_EFFECTS,
  FACE_EFFECT_DEFAULT,
  isFaceEffect,
  type FaceEffectName,
} from '../../../common/constants';
import { FaceTracker, type FaceTrackerOptions, type FaceTrackerStats } from './FaceTracker';
import { cvRect, expandRect, frameMat, writeRegion, type FaceRect, type Margins } from './regions';

export type { FaceRect } from './regions';

export { FACE_EFFECTS, FACE_EFFECT_DEFAULT, isFaceEffect } from '../../../common/constants';
/** One of `FACE_EFFECTS`. */
export type FaceEffect = FaceEffectName;

/** Options of `FaceEffects`. */
export interface FaceEffectsOptions {
  /** Effect applied from the first frame (default FACE_EFFECT_DEFAULT). */
  effect?: FaceEffect;
  /** A tracker to use, or options for the one made when a face effect is first selected. */
  tracker?: FaceTracker | FaceTrackerOptions;
  /** Side of a pixelate block as a fraction of the face width (default 1/12). */
  pixelBlock?: number;
  /** Weight of the smoothed face in 'beauty', 0..1 (default 0.75). */
  beautyStrength?: number;
}

/** Time spent in `apply()` for one effect, detection and tracking included. */
export interface EffectTiming {
  /** Frames processed with this effect. */
  frames: number;
  /** Total, mean and largest time per frame (ms). */
  totalMs: number;
  meanMs: number;
  maxMs: number;
  /** Frames where the effect failed (the frame went out as far as it got). */
  errors: number;
}

/** The region an effect treats as "the face": the detector's square grown to forehead and chin. */
const FACE_MARGINS: Margins = { left: 0.12, right: 0.12, top: 0.22, bottom: 0.15 };
/** 'blur' works at this fraction of the face region's size. */
const BLUR_SCALE = 1 / 8;
/** 'background-blur' works at this fraction of the frame's size (blur and mask alike). */
const BACKGROUND_SCALE = 1 / 4;

const WHITE = new cv.Vec3(255, 255, 255);

interface Counter {
  frames: number;
  totalMs: number;
  maxMs: number;
  errors: number;
}

export class FaceEffects {
  #effect: FaceEffect;
  #tracker: FaceTracker | null;
  readonly #trackerOptions: FaceTrackerOptions;
  readonly #pixelBlock: number;
  readonly #beautyStrength: number;
  #lastFace: FaceRect | null = null;
  #lastError: Error | null = null;
  readonly #counters = new Map<FaceEffect, Counter>();

  /** Effects starting with `options.effect`; the face tracker is made when first needed. */
  constructor(options: FaceEffectsOptions = {}) {
    const effect = options.effect ?? FACE_EFFECT_DEFAULT;
    if (!isFaceEffect(effect))
      throw new TypeError(
        `FaceEffects effect must be one of ${FACE_EFFECTS.join(', ')}, got ${String(effect)}`,
      );
    const block = options.pixelBlock ?? 1 / 12;
    if (!(block > 0 && block <= 1))
      throw new TypeError(`FaceEffects pixelBlock must be in (0, 1], got ${block}`);
    const beauty = options.beautyStrength ?? 0.75;
    if (!(beauty >= 0 && beauty <= 1))
      throw new TypeError(`FaceEffects beautyStrength must be in [0, 1], got ${beauty}`);
    this.#pixelBlock = block;
    this.#beautyStrength = beauty;
    this.#tracker = options.tracker instanceof FaceTracker ? options.tracker : null;
    this.#trackerOptions = options.tracker instanceof FaceTracker ? {} : (options.tracker ?? {});
    for (const e of FACE_EFFECTS)
      this.#counters.set(e, { frames: 0, totalMs: 0, maxMs: 0, errors: 0 });
    this.#effect = 'none';
    this.setEffect(effect);
  }

  /** The effect applied to the next frame. */
  get effect(): FaceEffect {
    return this.#effect;
  }

  /**
   * Switches the effect; the next `apply()` uses it. Leaving 'none' starts face tracking afresh
   * (loading the cascade the first time, which throws a MediaError when there is none).
   */
  setEffect(effect: FaceEffect): void {
    if (!isFaceEffect(effect))
      throw new TypeError(
        `effect must be one of ${FACE_EFFECTS.join(', ')}, got ${String(effect)}`,
      );
    if (effect === this.#effect) return;
    if (effect !== 'none') {
      // the tracker saw no frames while effects were off: what it remembers is stale
      if (this.#effect === 'none') this.#tracker?.reset();
      this.#tracker ??= new FaceTracker(this.#trackerOptions);
    }
    this.#effect = effect;
  }

  /** The face the last `apply()` used, in frame coordinates; null with 'none' or without a face. */
  get lastFace(): FaceRect | null {
    return this.#lastFace;
  }

  /** The face tracker, once a face effect has been selected. */
  get tracker(): FaceTracker | null {
    return this.#tracker;
  }

  /** The tracker's counters (detector runs and their time), zero before any face effect. */
  get trackerStats(): FaceTrackerStats | null {
    return this.#tracker?.stats ?? null;
  }

  /** The last error an effect threw (such frames go out as far as the effect got), or null. */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Time per frame for each effect, detection and tracking included. */
  get timings(): Record<FaceEffect, EffectTiming> {
    const out = {} as Record<FaceEffect, EffectTiming>;
    for (const [effect, c] of this.#counters) {
      out[effect] = { ...c, meanMs: c.frames > 0 ? c.totalMs / c.frames : 0 };
    }
    return out;
  }

  /** Zeroes the timing counters. */
  resetTimings(): void {
    for (const c of this.#counters.values()) {
      c.frames = 0;
      c.totalMs = 0;
      c.maxMs = 0;
      c.errors = 0;
    }
  }

  /**
   * Applies the current effect to `frame`, modifying its pixels in place, and returns it. An effect
   * that throws is counted (`timings[effect].errors`, `lastError`) and the frame goes on as it is:
   * a broken effect must not stop the camera.
   */
  apply(frame: VideoFrame): VideoFrame {
    const effect = this.#effect;
    const counter = this.#counters.get(effect) as Counter;
    if (effect === 'none') {
      this.#lastFace = null;
      counter.frames++;
      return frame;
    }
    const t0 = performance.now();
    const mat = frameMat(frame);
    try {
      const face = (this.#tracker as FaceTracker).update(frame, mat);
      this.#lastFace = face;
      switch (effect) {
        case 'blur':
          if (face) this.#blur(frame, mat, face);
          break;
        case 'pixelate':
          if (face) this.#pixelate(frame, mat, face);
          break;
        case 'glasses':
          if (face) this.#glasses(frame, mat, face);
          break;
        case 'beauty':
          if (face) this.#beauty(frame, mat, face);
          break;
        case 'background-blur':
          this.#backgroundBlur(frame, mat, face);
          break;
      }
    } catch (error) {
      counter.errors++;
      this.#lastError = error instanceof Error ? error : new Error(describeThrown(error));
    } finally {
      mat.release();
      const ms = performance.now() - t0;
      counter.frames++;
      counter.totalMs += ms;
      if (ms > counter.maxMs) counter.maxMs = ms;
    }
    return frame;
  }

  // ---- effects -------------------------------------------------------------------------------

  #faceRegion(frame: VideoFrame, face: FaceRect): FaceRect | null {
    return expandRect(face, FACE_MARGINS, frame.width, frame.height);
  }

  #blur(frame: VideoFrame, mat: Mat, face: FaceRect): void {
    const r = this.#faceRegion(frame, face);
    if (!r) return;
    const src = mat.getRegion(cvRect(r));
    // a 7x7 Gaussian at 1/8 scale is a ~30 px-wide blur at full scale, for a fraction of the cost
    const small = src.resize(
      Math.max(4, Math.round(r.height * BLUR_SCALE)),
      Math.max(4, Math.round(r.width * BLUR_SCALE)),
      0,
      0,
      cv.INTER_AREA,
    );
    const blurred = small.gaussianBlur(new cv.Size(7, 7), 0, 0, cv.BORDER_REPLICATE);
    const big = blurred.resize(r.height, r.width, 0, 0, cv.INTER_LINEAR);
    const out = src.copy();
    const mask = ellipseMask(r.width, r.height);
    big.copyTo(out, mask);
    writeRegion(frame, r, out);
    for (const m of [small, blurred, big, out, mask]) m.release();
  }

  #pixelate(frame: VideoFrame, mat: Mat, face: FaceRect): void {
    const r = this.#faceRegion(frame, face);
    if (!r) return;
    const block = Math.max(4, Math.round(face.width * this.#pixelBlock));
    const src = mat.getRegion(cvRect(r));
    const small = src.resize(
      Math.max(1, Math.round(r.height / block)),
      Math.max(1, Math.round(r.width / block)),
      0,
      0,
      cv.INTER_AREA,
    );
    const big = small.resize(r.height, r.width, 0, 0, cv.INTER_NEAREST);
    writeRegion(frame, r, big);
    small.release();
    big.release();
  }

  #glasses(frame: VideoFrame, mat: Mat, face: FaceRect): void {
    const out = mat.getRegion(cvRect(face)).copy();
    const w = face.width;
    const h = face.height;
    // Haar's face square puts the eyes about 40% down and 30% in from each side
    const eyeY = 0.41 * h;
    const lensW = 0.165 * w;
    const lensH = 0.12 * w;
    const left = new cv.Point2(0.3 * w, eyeY);
    const right = new cv.Point2(0.7 * w, eyeY);
    const axes = new cv.Size(lensW, lensH);
    const rim = Math.max(2, Math.round(w / 40));
    const rimColor = new cv.Vec3(25, 25, 25);
    // tinted lenses at 85% opacity: the eyes show through a little
    const tinted = out.copy();
    tinted.drawEllipse(left, axes, 0, 0, 360, new cv.Vec3(45, 30, 20), cv.FILLED, cv.LINE_AA);
    tinted.drawEllipse(right, axes, 0, 0, 360, new cv.Vec3(45, 30, 20), cv.FILLED, cv.LINE_AA);
    const blended = tinted.addWeighted(0.85, out, 0.15, 0);
    blended.drawEllipse(left, axes, 0, 0, 360, rimColor, rim, cv.LINE_AA);
    blended.drawEllipse(right, axes, 0, 0, 360, rimColor, rim, cv.LINE_AA);
    // bridge over the nose and temples out to the sides of the head
    const top = eyeY - 0.35 * lensH;
    blended.drawLine(
      new cv.Point2(0.3 * w + lensW, top),
      new cv.Point2(0.7 * w - lensW, top),
      rimColor,
      rim,
      cv.LINE_AA,
    );
    blended.drawLine(
      new cv.Point2(0.3 * w - lensW, top),
      new cv.Point2(0.02 * w, top - 0.03 * h),
      rimColor,
      rim,
      cv.LINE_AA,
    );
    blended.drawLine(
      new cv.Point2(0.7 * w + lensW, top),
      new cv.Point2(0.98 * w, top - 0.03 * h),
      rimColor,
      rim,
      cv.LINE_AA,
    );
    // a glint on each lens
    const glint = new cv.Size(lensW * 0.55, lensH * 0.55);
    const glintWidth = Math.max(1, Math.round(rim / 2));
    blended.drawEllipse(
      left,
      glint,
      0,
      200,
      250,
      new cv.Vec3(230, 230, 230),
      glintWidth,
      cv.LINE_AA,
    );
    blended.drawEllipse(
      right,
      glint,
      0,
      200,
      250,
      new cv.Vec3(230, 230, 230),
      glintWidth,
      cv.LINE_AA,
    );
    writeRegion(frame, face, blended);
    for (const m of [out, tinted, blended]) m.release();
  }

  #beauty(frame: VideoFrame, mat: Mat, face: FaceRect): void {
    const r = this.#faceRegion(frame, face);
    if (!r) return;
    const src = mat.getRegion(cvRect(r));
    // the bilateral filter flattens skin texture but keeps edges (eyes, mouth, outline)
    const d = face.width >= 160 ? 9 : 7;
    const smooth = src.bilateralFilter(d, 40, d);
    const k = this.#beautyStrength;
    // a slight lift in brightness goes with the smoothing
    const blended = smooth.addWeighted(k, src, 1 - k, 6);
    const out = src.copy();
    const mask = ellipseMask(r.width, r.height);
    blended.copyTo(out, mask);
    writeRegion(frame, r, out);
    for (const m of [smooth, blended, out, mask]) m.release();
  }

  #backgroundBlur(frame: VideoFrame, mat: Mat, face: FaceRect | null): void {
    const sw = Math.max(8, Math.round(frame.width * BACKGROUND_SCALE));
    const sh = Math.max(8, Math.round(frame.height * BACKGROUND_SCALE));
    const small = mat.resize(sh, sw, 0, 0, cv.INTER_AREA);
    const blurredSmall = small.gaussianBlur(new cv.Size(9, 9), 0, 0, cv.BORDER_REPLICATE);
    const blurred = blurredSmall.resize(frame.height, frame.width, 0, 0, cv.INTER_LINEAR);
    const bg = blurred.getData();
    for (const m of [small, blurredSmall, blurred]) m.release();
    if (!face) {
      // nobody in the picture: all of it is background
      bg.copy(frame.data);
      return;
    }
    const alpha = personMask(face, frame.width, frame.height, sw, sh);
    compositeOver(frame.data, bg, alpha);
  }
}

/** A CV_8UC1 mask of `width` x `height` with the inscribed ellipse set to 255. */
function ellipseMask(width: number, height: number): Mat {
  const mask = new cv.Mat(height, width, cv.CV_8UC1, 0);
  mask.drawEllipse(
    new cv.Point2(width / 2, height / 2),
    new cv.Size(width / 2, height / 2),
    0,
    0,
    360,
    WHITE,
    cv.FILLED,
    cv.LINE_8,
  );
  return mask;
}

/**
 * Per-pixel weight of the person (255) against the background (0), `width` x `height` bytes: an
 * ellipse around the head (hair and ears included) and the neck and shoulders widening down to the
 * bottom edge. Drawn at `sw` x `sh` and blurred there, so the upscaled edge is feathered for free.
 */
function personMask(face: FaceRect, width: number, height: number, sw: number, sh: number): Buffer {
  const kx = sw / width;
  const ky = sh / height;
  const cx = (face.x + face.width / 2) * kx;
  const fw = face.width * kx;
  const fh = face.height * ky;
  const fy = face.y * ky;
  const mask = new cv.Mat(sh, sw, cv.CV_8UC1, 0);
  mask.drawEllipse(
    new cv.Point2(cx, fy + 0.4 * fh),
    new cv.Size(0.8 * fw, 1.05 * fh),
    0,
    0,
    360,
    WHITE,
    cv.FILLED,
    cv.LINE_8,
  );
  const neckY = fy + 0.85 * fh;
  const shoulderY = fy + 1.45 * fh;
  const bottom = sh + 2;
  mask.drawFillPoly(
    [
      [
        new cv.Point2(Math.round(cx - 0.38 * fw), Math.round(neckY)),
        new cv.Point2(Math.round(cx + 0.38 * fw), Math.round(neckY)),
        new cv.Point2(Math.round(cx + 1.45 * fw), Math.round(shoulderY)),
        new cv.Point2(Math.round(cx + 1.65 * fw), bottom),
        new cv.Point2(Math.round(cx - 1.65 * fw), bottom),
        new cv.Point2(Math.round(cx - 1.45 * fw), Math.round(shoulderY)),
      ],
    ],
    WHITE,
    cv.LINE_8,
  );
  const feathered = mask.gaussianBlur(new cv.Size(5, 5), 0, 0, cv.BORDER_REPLICATE);
  const full = feathered.resize(height, width, 0, 0, cv.INTER_LINEAR);
  const data = full.getData();
  for (const m of [mask, feathered, full]) m.release();
  return data;
}

/** `dst = dst * a + bg * (1 - a)` per pixel, `a` in 0..255; untouched where a is 255. */
function compositeOver(dst: Buffer, bg: Buffer, alpha: Buffer): void {
  const n = alpha.length;
  for (let i = 0, p = 0; i < n; i++, p += VIDEO_BYTES_PER_PIXEL) {
    const a = alpha[i];
    if (a === 255) continue;
    if (a === 0) {
      dst[p] = bg[p];
      dst[p + 1] = bg[p + 1];
      dst[p + 2] = bg[p + 2];
      continue;
    }
    const b = 255 - a;
    dst[p] = (dst[p] * a + bg[p] * b + 127) / 255;
    dst[p + 1] = (dst[p + 1] * a + bg[p + 1] * b + 127) / 255;
    dst[p + 2] = (dst[p + 2] * a + bg[p + 2] * b + 127) / 255;
  }
}
