/**
 * What every video source shares (camera/file/test pattern, screen): frames of one output size paced
 * by a drift-corrected timer, start/stop, an async-iterator view, counters, and one failure path.
 * A subclass produces a frame on `tick()` (skipping the tick when the previous one is still busy,
 * never queueing) and releases its device in `release()`.
 */
import { TypedEmitter } from '../../../common/TypedEmitter';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { FrameQueue } from './FrameQueue';
import type { VideoFrame } from '../frames';
import { Pacer } from './Pacer';

/** Events of a video source. */
export type VideoSourceEvents = {
  /** A frame of the output size. */
  frame: [frame: VideoFrame];
  /** Capture failed; the source stops itself. */
  error: [error: Error];
};

export abstract class PacedVideoSource extends TypedEmitter<VideoSourceEvents> {
  readonly #description: string;
  readonly #width: number;
  readonly #height: number;
  readonly #fps: number;
  readonly #pacer: Pacer;
  #started = false;
  #stopped = false;
  #frameNumber = 0;
  /** Ticks a subclass skipped because its previous frame was still in the works. */
  protected busySkipped = 0;

  protected constructor(description: string, width: number, height: number, fps: number) {
    super();
    this.#description = description;
    this.#width = width;
    this.#height = height;
    this.#fps = fps;
    this.#pacer = new Pacer(1000 / fps, () => this.tick());
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

  /** Ticks skipped because producing a frame was slower than the frame rate. */
  get framesSkipped(): number {
    return this.#pacer.skipped + this.busySkipped;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /** True once `stop()` ran (or the source failed). */
  protected get stopped(): boolean {
    return this.#stopped;
  }

  /** Starts delivering 'frame' events. */
  start(): void {
    if (this.#stopped)
      throw new MediaError(MediaErrorCode.CLOSED, `${this.#description} was stopped`);
    if (this.#started) return;
    this.#started = true;
    this.#pacer.start();
  }

  /** Stops delivery and releases the device, file or display; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pacer.stop();
    this.release();
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

  /** Produces the next frame (or skips the tick); called by the pacer. */
  protected abstract tick(): void;

  /** Releases what the source reads from; called once by `stop()`. */
  protected abstract release(): void;

  /** Delivers a frame and advances the frame number. */
  protected emitFrame(frame: VideoFrame): void {
    this.#frameNumber++;
    this.safeEmit('frame', frame);
  }

  /** Stops the source and reports a capture failure (once; nothing after a stop). */
  protected fail(error: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.safeEmit(
      'error',
      new MediaError(
        MediaErrorCode.CAPTURE_FAILED,
        `${this.#description}: ${describeThrown(error)}`,
        {
          cause: error,
        },
      ),
    );
  }
}
