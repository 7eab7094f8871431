/**
 * Rectangles and pixel regions for the face effects: integer rectangles in frame coordinates, their
 * growth and clamping, and copying a processed region back into a frame's BGR buffer row by row
 * (OpenCV refuses `getData()` on a region view, and only the region's bytes need to move).
 */
import { VIDEO_BYTES_PER_PIXEL, type VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';

/** An axis-aligned rectangle in pixels of a frame (integers, non-empty, inside the frame). */
export interface FaceRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** How much to grow a rectangle on each side, as fractions of its own width (left/right) or height. */
export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** `r` grown by `m` and clamped to a `width` x `height` frame; null when nothing of it is left. */
export function expandRect(
  r: FaceRect,
  m: Margins,
  width: number,
  height: number,
): FaceRect | null {
  return clampRect(
    {
      x: r.x - r.width * m.left,
      y: r.y - r.height * m.top,
      width: r.width * (1 + m.left + m.right),
      height: r.height * (1 + m.top + m.bottom),
    },
    width,
    height,
  );
}

/** `r` rounded to whole pixels and cut to a `width` x `height` frame; null when it is empty there. */
export function clampRect(r: FaceRect, width: number, height: number): FaceRect | null {
  const x0 = Math.max(0, Math.round(r.x));
  const y0 = Math.max(0, Math.round(r.y));
  const x1 = Math.min(width, Math.round(r.x + r.width));
  const y1 = Math.min(height, Math.round(r.y + r.height));
  if (x1 - x0 < 2 || y1 - y0 < 2) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Intersection over union of two rectangles (0 when apart, 1 when equal). */
export function iou(a: FaceRect, b: FaceRect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** An OpenCV rectangle for `r`. */
export function cvRect(r: FaceRect): InstanceType<typeof cv.Rect> {
  return new cv.Rect(r.x, r.y, r.width, r.height);
}

/** A Mat over a copy of the frame's pixels (the binding copies the Buffer). */
export function frameMat(frame: VideoFrame): Mat {
  return new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
}

/** Writes `region` (a continuous CV_8UC3 Mat of `r`'s size) into the frame's buffer at `r`. */
export function writeRegion(frame: VideoFrame, r: FaceRect, region: Mat): void {
  if (region.cols !== r.width || region.rows !== r.height) {
    throw new RangeError(
      `region is ${region.cols}x${region.rows}, expected ${r.width}x${r.height}`,
    );
  }
  const src = region.getData();
  const rowBytes = r.width * VIDEO_BYTES_PER_PIXEL;
  const stride = frame.width * VIDEO_BYTES_PER_PIXEL;
  for (let row = 0; row < r.height; row++) {
    const offset = (r.y + row) * stride + r.x * VIDEO_BYTES_PER_PIXEL;
    src.copy(frame.data, offset, row * rowBytes, (row + 1) * rowBytes);
  }
}
