/**
 * Screen sharing as a video source: the desktop grabbed by the platform's `ScreenGrabber` (X11 on
 * Linux), converted to BGR and scaled to the output size with OpenCV, as `VideoFrame`s paced by a
 * drift-corrected timer. Same shape as `VideoSource` ('frame'/'error', start/stop, frames()).
 *
 * The grab runs on the event loop (about 1 ms at 1280x800 with MIT-SHM); the colour conversion and
 * the resize run on the libuv thread pool. When a frame is still converting at the next tick, that
 * tick is skipped (never queued), so the source delivers the newest picture at most at its rate.
 * Stopping closes the display connection at once.
 */
import { nowMs } from '../../../common/clock';
import { VIDEO_MAX_FPS } from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { VideoFrame } from '../frames';
import { PacedVideoSource, type VideoSourceEvents } from '../capture/PacedVideoSource';
import { SCREEN_DEFAULT_FPS, SCREEN_FIT_HEIGHT, SCREEN_FIT_WIDTH } from '../../../common/constants';
import { even, fitInside, screenImageToBgr } from './convert';
import { createScreenGrabber } from './platforms';
import type { ScreenGrabber } from './ScreenGrabber';

export { SCREEN_DEFAULT_FPS };

/** Options of a `ScreenSource`. */
export interface ScreenSourceOptions {
  /** X11 display such as `:0` (default `$DISPLAY`). */
  display?: string;
  /** Frames per second (default SCREEN_DEFAULT_FPS, at most VIDEO_MAX_FPS). */
  fps?: number;
  /**
   * Output width. Default: the screen scaled to fit SCREEN_FIT_WIDTH x SCREEN_FIT_HEIGHT keeping its
   * aspect ratio (never enlarged); with only one of width/height given, the other follows the
   * screen's aspect ratio; with both, the screen is stretched to that size.
   */
  width?: number;
  /** Output height (see `width`). */
  height?: number;
  /** Grabber to read from instead of the platform's (tests, other platforms). */
  grabber?: ScreenGrabber;
}

/** Events of a `ScreenSource` (those of every video source). */
export type ScreenSourceEvents = VideoSourceEvents;

export class ScreenSource extends PacedVideoSource {
  #grabber: ScreenGrabber | null;
  /** The last grab's buffer, filled again by the next grab. */
  #reuse: Buffer | undefined;
  /** A conversion in flight. */
  #converting = false;

  private constructor(grabber: ScreenGrabber, width: number, height: number, fps: number) {
    super(`screen of ${grabber.description}`, width, height, fps);
    this.#grabber = grabber;
  }

  /**
   * Opens the screen. Throws TypeError for bad options and a MediaError (ERR_MEDIA_OPEN_FAILED)
   * when the display cannot be opened or the platform has no screen capture yet.
   */
  static open(options: ScreenSourceOptions = {}): ScreenSource {
    const fps = options.fps ?? SCREEN_DEFAULT_FPS;
    if (!(typeof fps === 'number' && fps > 0 && fps <= VIDEO_MAX_FPS))
      throw new TypeError(`fps must be in (0, ${VIDEO_MAX_FPS}], got ${fps}`);
    for (const key of ['width', 'height'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 16 || value > 4096))
        throw new TypeError(`${key} must be an integer in 16..4096, got ${value}`);
    }
    const grabber = options.grabber ?? createScreenGrabber({ display: options.display });
    let size: { width: number; height: number };
    try {
      size = outputSize(grabber.size(), options.width, options.height);
    } catch (error) {
      grabber.close();
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `cannot read the size of ${grabber.description}: ${describeThrown(error)}`,
        { cause: error },
      );
    }
    return new ScreenSource(grabber, size.width, size.height, fps);
  }

  /** Always `'screen'`. */
  get kind(): 'screen' {
    return 'screen';
  }

  /** Closes the display connection at once. */
  protected release(): void {
    const grabber = this.#grabber;
    this.#grabber = null;
    this.#reuse = undefined;
    grabber?.close();
  }

  protected tick(): void {
    const grabber = this.#grabber;
    if (!grabber) return;
    if (this.#converting) {
      this.busySkipped++;
      return;
    }
    let timestamp: number;
    let image: ReturnType<ScreenGrabber['grab']>;
    try {
      image = grabber.grab(this.#reuse);
      timestamp = nowMs();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#reuse = image.data;
    this.#converting = true;
    screenImageToBgr(image, this.width, this.height).then(
      (bgr) => {
        this.#converting = false;
        if (this.stopped) return;
        this.emitFrame(
          new VideoFrame(bgr, this.width, this.height, timestamp, this.framesDelivered),
        );
      },
      (error: unknown) => {
        this.#converting = false;
        this.fail(error);
      },
    );
  }
}

/** Output size for a screen of `screen` size and the optional requested width/height. */
function outputSize(
  screen: { width: number; height: number },
  width: number | undefined,
  height: number | undefined,
): { width: number; height: number } {
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined)
    return { width, height: Math.min(4096, even((width * screen.height) / screen.width)) };
  if (height !== undefined)
    return { width: Math.min(4096, even((height * screen.width) / screen.height)), height };
  return fitInside(screen.width, screen.height, SCREEN_FIT_WIDTH, SCREEN_FIT_HEIGHT);
}
