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
import { TypedEmitter } from '../../common/TypedEmitter';
import { nowMs } from '../../common/clock';
import {
  VIDEO_DEFAULT_FPS,
  VIDEO_DEFAULT_HEIGHT,
  VIDEO_DEFAULT_WIDTH,
  VIDEO_MAX_FPS,
} from '../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from './errors';
import { FrameQueue } from './FrameQueue';
import { VideoFrame } from './frames';
import { cv, type Mat } from './opencv';
import { Pacer } from './Pacer';
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

/** Events of a `VideoSource`. */
export type VideoSourceEvents = {
  /** A frame of the configured size. */
  frame: [frame: VideoFrame];
  /** Capture failed; the source stops itself. */
  error: [error: Error];
};

type VideoCapture = InstanceType<typeof cv.VideoCapture>;

export class VideoSource extends TypedEmitter<VideoSourceEvents> {
  readonly #kind: 'testpattern' | 'file' | 'camera';
  readonly #description: string;
  readonly #width: number;
  readonly #height: number;
  readonly #fps: number;
  readonly #pacer: Pacer;
  readonly #pattern: TestPattern | null;
  #capture: VideoCapture | null;
  /** A capture read in flight: `stop()` releases the capture only after it settles. */
  #reading = false;
  #stopped = false;
  #started = false;
  #frameNumber = 0;
  #loops = 0;

  private constructor(
    kind: 'testpattern' | 'file' | 'camera',
    description: string,
    capture: VideoCapture | null,
    width: number,
    height: number,
    fps: number,
  ) {
    super();
    this.#kind = kind;
    this.#description = description;
    this.#capture = capture;
    this.#width = width;
    this.#height = height;
    this.#fps = fps;
    this.#pattern = kind === 'testpattern' ? new TestPattern({ width, height }) : null;
    this.#pacer = new Pacer(1000 / fps, this.#tick);
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

  /** Human-readable name of the source. */
  get description(): string {
    return this.#description;
  }

  /** Output width. */
  get width(): number {
    return this.#width;
  }

  /** Output height. */
  get height(): number {
    return this.#height;
  }

  /** Frames per second. */
  get fps(): number {
    return this.#fps;
  }

  /** Frames delivered so far (the next frame's number). */
  get framesDelivered(): number {
    return this.#frameNumber;
  }

  /** Times a file source started again from its beginning. */
  get loops(): number {
    return this.#loops;
  }

  /** Ticks skipped because capture was slower than the frame rate. */
  get framesSkipped(): number {
    return this.#pacer.skipped;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /** Starts delivering 'frame' events. */
  start(): void {
    if (this.#stopped)
      throw new MediaError(MediaErrorCode.CLOSED, `video source ${this.#description} was stopped`);
    if (this.#started) return;
    this.#started = true;
    this.#pacer.start();
  }

  /** Stops delivery and releases the capture device or file; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pacer.stop();
    if (!this.#reading) this.#release();
  }

  /** Frames as an async iterator (starts the source); the oldest frames are dropped beyond `capacity`. */
  frames(capacity = 2): AsyncIterableIterator<VideoFrame> {
    const onFrame = (frame: VideoFrame): void => queue.push(frame);
    const onError = (): void => queue.end();
    const queue = new FrameQueue<VideoFrame>(capacity, () => {
      this.off('frame', onFrame);
      this.off('error', onError);
    });
    this.on('frame', onFrame);
    this.on('error', onError);
    if (this.#stopped) queue.end();
    else this.start();
    return queue;
  }

  #release(): void {
    const capture = this.#capture;
    this.#capture = null;
    capture?.release();
  }

  readonly #tick = (): void => {
    if (this.#pattern) {
      this.#emitFrame(this.#pattern.frame(this.#frameNumber, nowMs()));
      return;
    }
    if (this.#reading) return; // the previous read is still running: skip this tick
    this.#reading = true;
    this.#readCapture().then(
      (frame) => {
        this.#reading = false;
        if (this.#stopped) {
          this.#release();
          return;
        }
        this.#emitFrame(frame);
      },
      (error: unknown) => {
        this.#reading = false;
        const wasStopped = this.#stopped;
        this.stop();
        this.#release();
        if (!wasStopped) {
          this.safeEmit(
            'error',
            new MediaError(
              MediaErrorCode.CAPTURE_FAILED,
              `${this.#description}: ${describeThrown(error)}`,
              { cause: error },
            ),
          );
        }
      },
    );
  };

  #emitFrame(frame: VideoFrame): void {
    this.#frameNumber++;
    this.safeEmit('frame', frame);
  }

  async #readCapture(): Promise<VideoFrame> {
    const capture = this.#capture;
    if (!capture) throw new Error('capture released');
    let mat = await capture.readAsync();
    const timestamp = nowMs();
    if (mat.empty && this.#kind === 'file' && !this.#stopped) {
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
      this.#width,
      this.#height,
      timestamp,
      this.#frameNumber,
    );
  }

  /** Packed BGR bytes of the configured size from a captured Mat. */
  #toBgr(mat: Mat): Buffer {
    let bgr = mat;
    if (mat.channels === 1) bgr = mat.cvtColor(cv.COLOR_GRAY2BGR);
    else if (mat.channels === 4) bgr = mat.cvtColor(cv.COLOR_BGRA2BGR);
    if (bgr.cols !== this.#width || bgr.rows !== this.#height) {
      // INTER_AREA when shrinking (no aliasing), INTER_LINEAR when enlarging
      const shrinking = bgr.cols > this.#width || bgr.rows > this.#height;
      bgr = bgr.resize(
        this.#height,
        this.#width,
        0,
        0,
        shrinking ? cv.INTER_AREA : cv.INTER_LINEAR,
      );
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
