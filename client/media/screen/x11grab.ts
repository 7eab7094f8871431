/**
 * Typed loader of the project's `x11-grab` addon (native/x11-grab): X11 screen grabs into Node
 * Buffers, through MIT-SHM when the server offers it. Loaded on first use, so importing the media
 * layer does not need the addon (nor X11) on machines that never share their screen.
 */
import fs from 'node:fs';
import path from 'node:path';

/** An open X display connection of the addon (opaque). */
export type X11Handle = { readonly __x11GrabHandle: unique symbol };

/** A grabbed rectangle. */
export interface X11GrabResult {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Packed pixels: BGRA (alpha 255) or BGR, as asked. */
  data: Buffer;
}

/** Options of `grab`: a rectangle of the screen (default the whole screen) and the pixel format. */
export interface X11GrabOptions {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  /** Default `'bgra'`. */
  format?: 'bgra' | 'bgr';
}

/** What `info` reports about an open display. */
export interface X11DisplayInfo {
  /** Display name, e.g. `:0`. */
  display: string;
  width: number;
  height: number;
  /** Depth of the default visual (24 on most desktops). */
  depth: number;
  /** Bits per pixel in the server's images of that depth (32 for depth 24). */
  bitsPerPixel: number;
  /** True when grabs go through MIT-SHM. */
  shm: boolean;
}

/** The addon's functions (all synchronous). */
export interface X11GrabAddon {
  /** Opens `display` (default `$DISPLAY`); throws an Error naming the display when it cannot. */
  open(display?: string | null, options?: { shm?: boolean }): X11Handle;
  /** Current size of the root window. */
  size(handle: X11Handle): { width: number; height: number };
  /** The display's name, size, depth and whether MIT-SHM is used. */
  info(handle: X11Handle): X11DisplayInfo;
  /** Grabs a rectangle; `buffer` is filled and returned as `data` when its length is exactly right. */
  grab(handle: X11Handle, buffer?: Buffer | null, options?: X11GrabOptions): X11GrabResult;
  /** Closes the connection; idempotent. */
  close(handle: X11Handle): void;
}

const ADDON_DIR = path.join('native', 'x11-grab');
const ADDON_FILE = path.join('build', 'Release', 'x11_grab.node');

let addon: X11GrabAddon | null = null;

/** The project folder holding native/x11-grab, searched upwards from here (source or dist). */
function findAddonPath(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, ADDON_DIR, 'package.json')))
      return path.join(dir, ADDON_DIR, ADDON_FILE);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${ADDON_DIR} above ${__dirname}`);
    dir = parent;
  }
}

/** Loads the addon once; throws an Error saying how to build it when it is missing. */
export function loadX11Grab(): X11GrabAddon {
  if (addon) return addon;
  const file = findAddonPath();
  if (!fs.existsSync(file))
    throw new Error(`the x11-grab addon is not built (${file}): run scripts/build-native.sh`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  addon = require(file) as X11GrabAddon;
  return addon;
}
