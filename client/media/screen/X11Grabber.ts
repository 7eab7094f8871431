/**
 * The X11 `ScreenGrabber`: the root window of a display through the x11-grab addon (MIT-SHM when
 * available, XGetImage otherwise). A lost X connection makes `grab()` throw instead of exiting the
 * process (Xlib's default).
 */
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import type { ScreenGrabber, ScreenImage } from './ScreenGrabber';
import { loadX11Grab, type X11DisplayInfo, type X11GrabAddon, type X11Handle } from './x11grab';

export class X11Grabber implements ScreenGrabber {
  readonly #addon: X11GrabAddon;
  readonly #display: string;
  #handle: X11Handle | null;

  private constructor(addon: X11GrabAddon, handle: X11Handle, display: string) {
    this.#addon = addon;
    this.#handle = handle;
    this.#display = display;
  }

  /**
   * Connects to `display` (default `$DISPLAY`). Throws a MediaError (ERR_MEDIA_OPEN_FAILED) naming
   * the display when it cannot be opened. `shm: false` forces plain XGetImage.
   */
  static open(display?: string, options: { shm?: boolean } = {}): X11Grabber {
    if (display !== undefined && (typeof display !== 'string' || display === ''))
      throw new TypeError(
        `display must be a non-empty string such as ':0', got ${String(display)}`,
      );
    let addon: X11GrabAddon;
    let handle: X11Handle;
    try {
      addon = loadX11Grab();
      handle = addon.open(display ?? null, options);
    } catch (error) {
      let message = `screen capture: ${describeThrown(error)}`;
      if (display === undefined && !process.env.DISPLAY && process.env.WAYLAND_DISPLAY)
        message += ' (this is a Wayland session; screen capture needs X11 or XWayland)';
      throw new MediaError(MediaErrorCode.OPEN_FAILED, message, { cause: error });
    }
    return new X11Grabber(addon, handle, addon.info(handle).display);
  }

  /** `X11 display <name>`. */
  get description(): string {
    return `X11 display ${this.#display}`;
  }

  /** Display name, size, depth and whether MIT-SHM is used. */
  info(): X11DisplayInfo {
    return this.#addon.info(this.#open());
  }

  size(): { width: number; height: number } {
    return this.#addon.size(this.#open());
  }

  grab(reuse?: Buffer): ScreenImage {
    return this.#addon.grab(this.#open(), reuse ?? null);
  }

  close(): void {
    const handle = this.#handle;
    this.#handle = null;
    if (handle) this.#addon.close(handle);
  }

  #open(): X11Handle {
    if (!this.#handle)
      throw new MediaError(MediaErrorCode.CLOSED, `${this.description} grabber was closed`);
    return this.#handle;
  }
}
