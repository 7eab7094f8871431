/**
 * The screen grabber of each platform, as a table: X11 on Linux. Another platform adds its grabber
 * (e.g. GDI's BitBlt on Windows) and a row here.
 */
import { MediaError, MediaErrorCode } from '../errors';
import type { ScreenGrabber } from './ScreenGrabber';
import { X11Grabber } from './X11Grabber';

/** Options of `createScreenGrabber`. */
export interface ScreenGrabberOptions {
  /** X11 display name such as `:0` (default: `$DISPLAY`); ignored on other platforms. */
  display?: string;
  /** Platform to grab on (default `process.platform`). */
  platform?: NodeJS.Platform;
}

const GRABBERS: Partial<Record<NodeJS.Platform, (display?: string) => ScreenGrabber>> = {
  linux: (display) => X11Grabber.open(display),
};

/**
 * Opens the grabber of the current platform. Throws a MediaError (ERR_MEDIA_OPEN_FAILED) when the
 * display cannot be opened or the platform has no grabber yet.
 */
export function createScreenGrabber(options: ScreenGrabberOptions = {}): ScreenGrabber {
  const platform = options.platform ?? process.platform;
  const open = GRABBERS[platform];
  if (!open) {
    throw new MediaError(
      MediaErrorCode.OPEN_FAILED,
      `screen capture is not supported on ${platform} yet`,
    );
  }
  return open(options.display);
}
