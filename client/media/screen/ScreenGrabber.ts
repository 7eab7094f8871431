/**
 * The platform seam of screen capture: a `ScreenGrabber` reads the whole desktop as BGRA pixels.
 * X11 (Linux) is implemented; another platform adds its grabber (e.g. GDI's BitBlt on Windows)
 * and a case in `createScreenGrabber`.
 */
import { MediaError, MediaErrorCode } from '../errors';
import { X11Grabber } from './X11Grabber';

/** One grabbed picture of the screen. */
export interface ScreenImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixels, `width * height * 4` bytes, B, G, R, A (alpha 255), rows packed without padding. */
  data: Buffer;
}

/** Reads the desktop of one screen. */
export interface ScreenGrabber {
  /** Human-readable name of what is grabbed, e.g. `X11 display :0`. */
  readonly description: string;
  /** Current size of the screen (it may change while capturing). */
  size(): { width: number; height: number };
  /**
   * Grabs the whole screen as BGRA. `reuse` (a buffer from an earlier grab) is filled and
   * returned when it has the right length, which saves an allocation per frame.
   */
  grab(reuse?: Buffer): ScreenImage;
  /** Releases the connection to the display; idempotent. */
  close(): void;
}

/** Options of `createScreenGrabber`. */
export interface ScreenGrabberOptions {
  /** X11 display name such as `:0` (default: `$DISPLAY`); ignored on other platforms. */
  display?: string;
  /** Platform to grab on (default `process.platform`). */
  platform?: NodeJS.Platform;
}

/**
 * Opens the grabber of the current platform. Throws a MediaError (ERR_MEDIA_OPEN_FAILED) when the
 * display cannot be opened or the platform has no grabber yet.
 */
export function createScreenGrabber(options: ScreenGrabberOptions = {}): ScreenGrabber {
  const platform = options.platform ?? process.platform;
  switch (platform) {
    case 'linux':
      return X11Grabber.open(options.display);
    default:
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `screen capture is not supported on ${platform} yet`,
      );
  }
}
