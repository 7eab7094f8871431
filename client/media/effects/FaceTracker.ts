/**
 * Finds and follows one face in a stream of video frames, cheaply enough for the send path:
 *   - detection: an OpenCV Haar cascade on a small grey copy of the frame (240 px wide by default),
 *     run only every `detectEvery`-th frame;
 *   - following: between detections, the face found last is located again by template matching
 *     (normalised cross-correlation) in a window around its last position;
 *   - smoothing: the reported rectangle moves towards each measurement by a fraction of the distance
 *     (exponential smoothing of centre and size), so effects neither jitter nor jump;
 *   - hold: a face not seen by the detector is kept for `holdMs`, so a missed detection or two
 *     (a turned head, motion blur) does not make effects flicker off and on.
 * The sync OpenCV API is used. Measured (bench/effects.ts, 240x180 grey, 2-core Xeon under load):
 * detectMultiScale 8-10 ms wall / 12.4 ms CPU per call, detectMultiScaleAsync the same CPU and
 * 8-10 ms wall but only 0.6 ms of it on the event loop. Async would free the event loop for those
 * ms every 3rd frame, at the price of results a frame late and nondeterministic tests; with the
 * whole send path at 10-15 ms per frame against a 66 ms budget it is not clearly better.
 * Frame timestamps (ms) drive the hold. Which detection continues the track is FaceChooser's call,
 * following is TemplateFollower's, and finding the cascade file is cascade.ts's.
 */
import fs from 'node:fs';
import { FACE_DETECT_EVERY, FACE_DETECT_WIDTH, FACE_HOLD_MS } from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import type { VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { findFaceCascade } from './cascade';
import { FaceChooser } from './FaceChooser';
import { clampRect, frameMat, type FaceRect } from './regions';
import { TemplateFollower } from './TemplateFollower';

export type { FaceRect } from './regions';

export { FACE_DETECT_EVERY, FACE_DETECT_WIDTH, FACE_HOLD_MS };

/** Options of a `FaceTracker`. */
export interface FaceTrackerOptions {
  /** Haar cascade XML file (default: `findFaceCascade()`). */
  cascadePath?: string;
  /** Width of the grey copy detection runs on, 80..1280 px (default FACE_DETECT_WIDTH). */
  detectWidth?: number;
  /** Detect on every this-many-th frame, 1..30 (default FACE_DETECT_EVERY). */
  detectEvery?: number;
  /** Keep a face the detector lost for this long, ms (default FACE_HOLD_MS). */
  holdMs?: number;
  /** Fraction of the way the rectangle's centre moves towards a measurement, (0, 1] (default 0.6). */
  positionSmoothing?: number;
  /** Fraction of the way its size moves towards a detection, (0, 1] (default 0.35). */
  sizeSmoothing?: number;
  /** Smallest face, as a fraction of the frame width (default 1/8). */
  minFaceFraction?: number;
  /** detectMultiScale's scale step (default 1.15). */
  scaleFactor?: number;
  /** detectMultiScale's minNeighbors (default 3). */
  minNeighbors?: number;
  /** Follow the face by template matching between detections (default true). */
  follow?: boolean;
}

/** Counters of a `FaceTracker`. */
export interface FaceTrackerStats {
  /** Frames given to `update()`. */
  frames: number;
  /** Detector runs, and how many of them found a face. */
  detections: number;
  detectionsWithFace: number;
  /** CPU-bound time spent in detection (grey copy + cascade), ms in total. */
  detectMs: number;
  /** Frames where template matching moved the face, and the time spent on following, ms in total. */
  followed: number;
  followMs: number;
  /** Faces acquired (new track) and dropped after the hold ran out. */
  acquired: number;
  lost: number;
}

/** Smoothed face state in frame coordinates (floats). */
interface Track {
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** Timestamp of the last detection that confirmed it (ms). */
  seenAt: number;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new TypeError(`FaceTracker ${name} must be a number in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export class FaceTracker {
  readonly #classifier: InstanceType<typeof cv.CascadeClassifier>;
  readonly #cascadePath: string;
  readonly #detectWidth: number;
  readonly #detectEvery: number;
  readonly #holdMs: number;
  readonly #positionSmoothing: number;
  readonly #sizeSmoothing: number;
  readonly #minFaceFraction: number;
  readonly #scaleFactor: number;
  readonly #minNeighbors: number;
  readonly #follow: boolean;
  #track: Track | null = null;
  #trackId = 0;
  readonly #follower = new TemplateFollower();
  readonly #chooser = new FaceChooser();
  #detections: FaceRect[] = [];
  /** Frames since the last detector run (Infinity: run on the next frame). */
  #sinceDetect = Infinity;
  #frameWidth = 0;
  #frameHeight = 0;
  #stats: FaceTrackerStats = FaceTracker.#zeroStats();

  /** A tracker with its cascade loaded (throws a MediaError when the cascade cannot be loaded). */
  constructor(options: FaceTrackerOptions = {}) {
    this.#detectWidth = Math.round(
      checkRange('detectWidth', options.detectWidth ?? FACE_DETECT_WIDTH, 80, 1280),
    );
    this.#detectEvery = Math.round(
      checkRange('detectEvery', options.detectEvery ?? FACE_DETECT_EVERY, 1, 30),
    );
    this.#holdMs = checkRange('holdMs', options.holdMs ?? FACE_HOLD_MS, 0, 60_000);
    this.#positionSmoothing = checkRange(
      'positionSmoothing',
      options.positionSmoothing ?? 0.6,
      0.01,
      1,
    );
    this.#sizeSmoothing = checkRange('sizeSmoothing', options.sizeSmoothing ?? 0.35, 0.01, 1);
    this.#minFaceFraction = checkRange(
      'minFaceFraction',
      options.minFaceFraction ?? 1 / 8,
      0.01,
      1,
    );
    this.#scaleFactor = checkRange('scaleFactor', options.scaleFactor ?? 1.15, 1.01, 2);
    this.#minNeighbors = Math.round(checkRange('minNeighbors', options.minNeighbors ?? 3, 0, 50));
    this.#follow = options.follow ?? true;
    this.#cascadePath = options.cascadePath ?? findFaceCascade();
    if (!fs.existsSync(this.#cascadePath)) {
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `Haar cascade ${this.#cascadePath} does not exist`,
      );
    }
    try {
      this.#classifier = new cv.CascadeClassifier(this.#cascadePath);
    } catch (error) {
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `cannot load Haar cascade ${this.#cascadePath}: ${describeThrown(error)}`,
        { cause: error },
      );
    }
  }

  static #zeroStats(): FaceTrackerStats {
    return {
      frames: 0,
      detections: 0,
      detectionsWithFace: 0,
      detectMs: 0,
      followed: 0,
      followMs: 0,
      acquired: 0,
      lost: 0,
    };
  }

  /** The cascade file in use. */
  get cascadePath(): string {
    return this.#cascadePath;
  }

  /** Detector period in frames. */
  get detectEvery(): number {
    return this.#detectEvery;
  }

  /** The tracked face in frame coordinates after the last `update()`, or null. */
  get face(): FaceRect | null {
    const t = this.#track;
    if (!t) return null;
    return clampRect(
      { x: t.cx - t.w / 2, y: t.cy - t.h / 2, width: t.w, height: t.h },
      this.#frameWidth,
      this.#frameHeight,
    );
  }

  /** Number of the current track: it changes whenever a face is newly acquired (0 before any). */
  get trackId(): number {
    return this.#trackId;
  }

  /** Every face the last detector run found, in frame coordinates (empty before any run). */
  get detections(): readonly FaceRect[] {
    return this.#detections;
  }

  /** A copy of the counters. */
  get stats(): FaceTrackerStats {
    return { ...this.#stats };
  }

  /** Forgets the face (the next `update()` detects afresh); counters are kept. */
  reset(): void {
    this.#track = null;
    this.#detections = [];
    this.#chooser.reset();
    this.#follower.drop();
    this.#sinceDetect = Infinity;
  }

  /**
   * Takes the next frame and returns the tracked face in frame coordinates, or null. `mat` may pass
   * a Mat already made over the frame's pixels, saving a copy; it is not modified.
   */
  update(frame: VideoFrame, mat?: Mat): FaceRect | null {
    this.#stats.frames++;
    if (frame.width !== this.#frameWidth || frame.height !== this.#frameHeight) {
      this.reset();
      this.#frameWidth = frame.width;
      this.#frameHeight = frame.height;
    }
    const detectNow = this.#sinceDetect >= this.#detectEvery - 1;
    const followNow = !detectNow && this.#follow && this.#track !== null && this.#follower.ready;
    if (detectNow || followNow) {
      const own = mat ? null : frameMat(frame);
      try {
        if (detectNow) this.#detect(own ?? (mat as Mat), frame.timestamp);
        else this.#followFace(own ?? (mat as Mat));
      } finally {
        own?.release();
      }
    } else {
      this.#sinceDetect++;
    }
    const track = this.#track;
    if (track && frame.timestamp - track.seenAt > this.#holdMs) {
      this.#track = null;
      this.#follower.drop();
      this.#stats.lost++;
    }
    return this.face;
  }

  /** Scale from the small grey image to the frame. */
  get #scale(): number {
    return this.#frameWidth / this.#detectWidth;
  }

  /** The small grey copy: halvings by pixel area (cheap, no aliasing), then a linear resize. */
  #grey(mat: Mat): Mat {
    const w = this.#detectWidth;
    const h = Math.max(16, Math.round((this.#frameHeight * w) / this.#frameWidth));
    let src = mat;
    while (src.cols >= 2 * w && src.rows >= 2 * h) {
      const half = src.resize(src.rows >> 1, src.cols >> 1, 0, 0, cv.INTER_AREA);
      if (src !== mat) src.release();
      src = half;
    }
    const small = src.cols === w && src.rows === h ? src : src.resize(h, w, 0, 0, cv.INTER_LINEAR);
    if (src !== mat && src !== small) src.release();
    const grey = small.cvtColor(cv.COLOR_BGR2GRAY);
    if (small !== mat) small.release();
    return grey;
  }

  #detect(mat: Mat, timestamp: number): void {
    const t0 = performance.now();
    this.#sinceDetect = 0;
    const grey = this.#grey(mat);
    try {
      const min = Math.max(20, Math.round(this.#detectWidth * this.#minFaceFraction));
      const { objects } = this.#classifier.detectMultiScale(
        grey,
        this.#scaleFactor,
        this.#minNeighbors,
        0,
        new cv.Size(min, min),
      );
      const k = this.#scale;
      this.#detections = objects
        .map((o) =>
          clampRect(
            { x: o.x * k, y: o.y * k, width: o.width * k, height: o.height * k },
            this.#frameWidth,
            this.#frameHeight,
          ),
        )
        .filter((r): r is FaceRect => r !== null);
      this.#stats.detections++;
      if (this.#detections.length > 0) this.#stats.detectionsWithFace++;
      const { face, switched } = this.#chooser.choose(this.#detections, this.#track);
      if (switched) {
        // a new face: start a new track there rather than slide across the picture
        this.#track = null;
        this.#follower.drop();
        this.#stats.lost++;
      }
      if (face) {
        this.#measure(face, true, timestamp);
        if (this.#follow) this.#follower.keep(grey, face, this.#scale);
      }
    } finally {
      grey.release();
      this.#stats.detectMs += performance.now() - t0;
    }
  }

  /** Moves the track towards a measurement (or starts one). */
  #measure(r: FaceRect, withSize: boolean, timestamp: number): void {
    const cx = r.x + r.width / 2;
    const cy = r.y + r.height / 2;
    const t = this.#track;
    if (!t) {
      this.#track = { cx, cy, w: r.width, h: r.height, seenAt: timestamp };
      this.#trackId++;
      this.#stats.acquired++;
      return;
    }
    const p = this.#positionSmoothing;
    t.cx += p * (cx - t.cx);
    t.cy += p * (cy - t.cy);
    if (withSize) {
      const s = this.#sizeSmoothing;
      t.w += s * (r.width - t.w);
      t.h += s * (r.height - t.h);
      t.seenAt = timestamp;
    }
  }

  #followFace(mat: Mat): void {
    this.#sinceDetect++;
    const t = this.#track;
    if (!t || !this.#follower.ready) return;
    const t0 = performance.now();
    const grey = this.#grey(mat);
    try {
      const found = this.#follower.locate(grey, t, this.#scale);
      if (!found) return;
      this.#measure(
        { x: found.cx - t.w / 2, y: found.cy - t.h / 2, width: t.w, height: t.h },
        false,
        0,
      );
      this.#stats.followed++;
    } finally {
      grey.release();
      this.#stats.followMs += performance.now() - t0;
    }
  }
}
