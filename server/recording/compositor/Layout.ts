/**
 * Where each picture goes in a recording's frame: a grid of the members' cameras (names under the
 * pictures), or, while someone shares a screen, the screen large on the left and the cameras in a
 * column on the right. Pure arithmetic, unit-tested.
 */

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TilePlan {
  /** Index into the input list. */
  index: number;
  rect: Rect;
}

/** Share of the width the shared screen takes. */
const SCREEN_SHARE = 0.78;

/** A grid of `n` tiles over `width`×`height`, or the screen layout when `screen` is true. */
export function layout(
  n: number,
  width: number,
  height: number,
  screen: boolean,
): {
  screen: Rect | null;
  tiles: Rect[];
} {
  if (screen) {
    const sw = Math.floor(width * SCREEN_SHARE);
    const cw = width - sw;
    const th = n > 0 ? Math.floor(height / Math.max(n, 3)) : 0;
    return {
      screen: { x: 0, y: 0, w: sw, h: height },
      tiles: Array.from({ length: n }, (_, i) => ({ x: sw, y: i * th, w: cw, h: th })),
    };
  }
  if (n === 0) return { screen: null, tiles: [] };
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const tw = Math.floor(width / cols);
  const th = Math.floor(height / rows);
  return {
    screen: null,
    tiles: Array.from({ length: n }, (_, i) => ({
      x: (i % cols) * tw,
      y: Math.floor(i / cols) * th,
      w: tw,
      h: th,
    })),
  };
}

/** The largest rectangle of aspect `iw:ih` centred in `r` (even sizes, at least 2×2). */
export function fit(r: Rect, iw: number, ih: number): Rect {
  const scale = Math.min(r.w / iw, r.h / ih);
  const w = Math.max(2, Math.min(r.w, Math.round(iw * scale)));
  const h = Math.max(2, Math.min(r.h, Math.round(ih * scale)));
  return { x: r.x + ((r.w - w) >> 1), y: r.y + ((r.h - h) >> 1), w, h };
}
