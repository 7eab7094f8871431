/**
 * The platform seam of screen capture: a `ScreenGrabber` reads the whole desktop as BGRA pixels.
 * X11 (Linux) is implemented; another platform adds its grabber (e.g. GDI's BitBlt on Windows)
 * and a row in `platforms.ts`, where `createScreenGrabber` picks the grabber of the platform.
 */

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
