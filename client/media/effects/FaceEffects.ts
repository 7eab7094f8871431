/**
 * Face effects on the video send path (capture → effects → JPEG encode → link), on 8-bit BGR frames:
 *   blur             strong Gaussian blur of the face (elliptical, computed at 1/8 scale)
 *   pixelate         the face as coarse blocks (area downscale, nearest-neighbour upscale)
 *   glasses          sunglasses drawn over the eyes with OpenCV primitives
 *   beauty           skin smoothing: a bilateral filter on the face, blended with the original
 *   background-blur  everything blurred except the head and the body below it (feathered mask)
 * Each effect lives in its own module (blur.ts, glasses.ts, beauty.ts, backgroundBlur.ts); this one
 * picks the painter from a table. A `FaceTracker` supplies the face (detection every few frames,
 * smoothed, held briefly when lost). 'none' returns the frame untouched without running detection.
 * The effect can be switched at any time; the next `apply()` uses the new one.
 */
import { describeThrown } from '../errors';
import type { VideoFrame } from '../frames';
import type { Mat } from '../native/opencv';
import {
  FACE_EFFECTS,
  FACE_EFFECT_DEFAULT,
  isFaceEffect,
  type FaceEffectName,
} from '../../../common/constants';
import { blurBackground } from './backgroundBlur';
import { smoothSkin } from './beauty';
import { blurFace, pixelateFace } from './blur';
import { FaceTracker, type FaceTrackerOptions, type FaceTrackerStats } from './FaceTracker';
import { drawGlasses } from './glasses';
import { frameMat, type FaceRect } from './regions';

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

/** Settings an effect may take. */
interface EffectSettings {
  pixelBlock: number;
  beautyStrength: number;
}

/** Draws one effect into `frame` (whose pixels `mat` also holds) around the tracked face. */
type Painter = (frame: VideoFrame, mat: Mat, face: FaceRect | null, s: EffectSettings) => void;

/** A painter that draws only when there is a face. */
function onFace(
  paint: (frame: VideoFrame, mat: Mat, face: FaceRect, s: EffectSettings) => void,
): Painter {
  return (frame, mat, face, s) => {
    if (face) paint(frame, mat, face, s);
  };
}

/**
 * Each face effect as data. Only 'background-blur' draws without a face: with nobody in the
 * picture, all of it is background.
 */
const PAINTERS: Record<Exclude<FaceEffect, 'none'>, Painter> = {
  blur: onFace((frame, mat, face) => blurFace(frame, mat, face)),
  pixelate: onFace((frame, mat, face, s) => pixelateFace(frame, mat, face, s.pixelBlock)),
  glasses: onFace((frame, mat, face) => drawGlasses(frame, mat, face)),
  beauty: onFace((frame, mat, face, s) => smoothSkin(frame, mat, face, s.beautyStrength)),
  'background-blur': (frame, mat, face) => blurBackground(frame, mat, face),
};

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
  readonly #settings: EffectSettings;
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
    this.#settings = { pixelBlock: block, beautyStrength: beauty };
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
      PAINTERS[effect](frame, mat, face, this.#settings);
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
}
