/**
 * A camera for the client: BGR `VideoFrame`s of the configured size, paced at the configured rate by
 * a drift-corrected timer, from the synthetic test pattern, a video file (looped at its end) or a
 * camera (by index). Files and cameras are read with OpenCV's VideoCapture on the libuv thread pool
 * (`readAsync`) and resized with `cv.resize` when their size differs.
 *
 * When reading a frame takes longer than the frame interval, ticks are skipped (never queued), so
 * the source delivers the newest picture at most at the configured rate.
 */
import fs from 'node:fs';
import { nowMs } from '../../../common/clock';
import {
  VIDEO_DEFAULT_FPS,
  VIDEO_DEFAULT_HEIGHT,
  VIDEO_DEFAULT_WIDTH,
  VIDEO_MAX_FPS,
} from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { PacedVideoSource } from './PacedVideoSource';
import { TestPattern } from './TestPattern';

/** `'testpattern'`, a video file path, or a camera index. */
export type VideoSourceSpec = 'testpattern' | string | number;

/** Options of a `VideoSource`. */
export interface VideoSourceOptions {
  /** Output width (default VIDEO_DEFAULT_WIDTH). */
  width?: number;
  /** Output height (default VIDEO_DEFAULT_HEIGHT). */
  height?: number;
  /** Frames per second (default VIDEO_DEFAULT_FPS, at most VIDEO_MAX_FPS). */
  fps?: number;
}

export type { VideoSourceEvents } from './PacedVideoSource';

type VideoCapture = InstanceType<typeof cv.VideoCapture>;

export class VideoSource extends PacedVideoSource {
  readonly #kind: 'testpattern' | 'file' | 'camera';
  readonly #pattern: TestPattern | null;
  #capture: VideoCapture | null;
  /** A capture read in flight: `stop()` releases the capture only after it settles. */
  #reading = false;
  #loops = 0;

  private constructor(
    kind: 'testpattern' | 'file' | 'camera',
    description: string,
    capture: VideoCapture | null,
    width: number,
    height: number,
    fps: number,
  ) {
    super(description, width, height, fps);
    this.#kind = kind;
    this.#capture = capture;
    this.#pattern = kind === 'testpattern' ? new TestPattern({ width, height }) : null;
  }

  /**
   * Opens a source: `'testpattern'`, a video file path, or a camera index. Throws a MediaError
   * (ERR_MEDIA_OPEN_FAILED) when the file or camera cannot be opened or yields no frame.
   */
  static open(spec: VideoSourceSpec, options: VideoSourceOptions = {}): VideoSource {
    const width = options.width ?? VIDEO_DEFAULT_WIDTH;
    const height = options.height ?? VIDEO_DEFAULT_HEIGHT;
    const fps = options.fps ?? VIDEO_DEFAULT_FPS;
    if (!Number.isInteger(width) || width < 16 || width > 4096)
      throw new TypeError(`width must be an integer in 16..4096, got ${width}`);
    if (!Number.isInteger(height) || height < 16 || height > 4096)
      throw new TypeError(`height must be an integer in 16..4096, got ${height}`);
    if (!(fps > 0 && fps <= VIDEO_MAX_FPS))
      throw new TypeError(`fps must be in (0, ${VIDEO_MAX_FPS}], got ${fps}`);
    if (spec === 'testpattern')
      return new VideoSource('testpattern', 'test pattern', null, width, height, fps);
    if (typeof spec === 'string') {
      if (!fs.existsSync(spec))
        throw new MediaError(MediaErrorCode.OPEN_FAILED, `video file ${spec} does not exist`);
      const capture = openCapture(spec, `video file ${spec}`);
      return new VideoSource('file', spec, capture, width, height, fps);
    }
    if (typeof spec === 'number' && Number.isInteger(spec) && spec >= 0) {
      const capture = openCapture(spec, `camera ${spec}`);
      // ask the camera for the wanted size and rate; frames are resized anyway if it declines
      capture.set(cv.CAP_PROP_FRAME_WIDTH, width);
      capture.set(cv.CAP_PROP_FRAME_HEIGHT, height);
      capture.set(cv.CAP_PROP_FPS, fps);
      return new VideoSource('camera', `camera ${spec}`, capture, width, height, fps);
    }
    throw new TypeError(
      `VideoSource spec must be 'testpattern', a file path or a camera index >= 0, got ${String(spec)}`,
    );
  }

  /** What the source reads from. */
  get kind(): 'testpattern' | 'file' | 'camera' {
    return this.#kind;
  }

  /** Times a file source started again from its beginning. */
  get loops(): number {
    return this.#loops;
  }

  protected release(): void {
    if (!this.#reading) this.#releaseCapture();
  }

  #releaseCapture(): void {
    const capture = this.#capture;
    this.#capture = null;
    capture?.release();
  }

  protected tick(): void {
    if (this.#pattern) {
      this.emitFrame(this.#pattern.frame(this.framesDelivered, nowMs()));
      return;
    }
    if (this.#reading) {
      this.busySkipped++; // the previous read is still running: skip this tick
      return;
    }
    this.#reading = true;
    this.#readCapture().then(
      (frame) => {
        this.#reading = false;
        if (this.stopped) {
          this.#releaseCapture();
          return;
        }
        this.emitFrame(frame);
      },
      (error: unknown) => {
        this.#reading = false;
        this.fail(error);
        this.#releaseCapture();
      },
    );
  }

  async #readCapture(): Promise<VideoFrame> {
    const capture = this.#capture;
    if (!capture) throw new Error('capture released');
    let mat = await capture.readAsync();
    const timestamp = nowMs();
    if (mat.empty && this.#kind === 'file' && !this.stopped) {
      // end of the file: start again from the first frame
      capture.set(cv.CAP_PROP_POS_FRAMES, 0);
      this.#loops++;
      mat = await capture.readAsync();
    }
    if (mat.empty)
      throw new Error(
        this.#kind === 'file'
          ? 'no frame after rewinding the file'
          : 'the camera returned no frame',
      );
    return new VideoFrame(
      this.#toBgr(mat),
      this.width,
      this.height,
      timestamp,
      this.framesDelivered,
    );
  }

  /** Packed BGR bytes of the configured size from a captured Mat. */
  #toBgr(mat: Mat): Buffer {
    let bgr = mat;
    if (mat.channels === 1) bgr = mat.cvtColor(cv.COLOR_GRAY2BGR);
    else if (mat.channels === 4) bgr = mat.cvtColor(cv.COLOR_BGRA2BGR);
    if (bgr.cols !== this.width || bgr.rows !== this.height) {
      // INTER_AREA when shrinking (no aliasing), INTER_LINEAR when enlarging
      const shrinking = bgr.cols > this.width || bgr.rows > this.height;
      bgr = bgr.resize(this.height, this.width, 0, 0, shrinking ? cv.INTER_AREA : cv.INTER_LINEAR);
    }
    const data = bgr.getData();
    // native memory is freed now rather than whenever the GC gets to the wrappers
    if (bgr !== mat) bgr.release();
    mat.release();
    return data;
  }
}

/** Opens a VideoCapture and checks that it yields a frame (OpenCV throws plain strings or opens silently nothing). */
function openCapture(source: string | number, description: string): VideoCapture {
  let capture: VideoCapture;
  try {
    capture = new cv.VideoCapture(source);
  } catch (error) {
    throw new MediaError(
      MediaErrorCode.OPEN_FAILED,
      `cannot open ${description}: ${describeThrown(error)}`,
      { cause: error },
    );
  }
  let first: Mat;
  try {
    first = capture.read();
  } catch (error) {
    capture.release();
    throw new MediaError(
      MediaErrorCode.OPEN_FAILED,
      `cannot read from ${description}: ${describeThrown(error)}`,
      { cause: error },
    );
  }
  if (first.empty) {
    capture.release();
    throw new MediaError(MediaErrorCode.OPEN_FAILED, `${description} opened but yields no frame`);
  }
  if (typeof source === 'string') capture.set(cv.CAP_PROP_POS_FRAMES, 0);
  return capture;
}
