/**
 * The 'background-blur' face effect: everything blurred except the head and the body below it,
 * behind a feathered mask; with no face in the picture all of it is background. The blur and the
 * mask are computed at 1/4 scale.
 */
import { VIDEO_BYTES_PER_PIXEL, type VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { WHITE } from './faceRegion';
import type { FaceRect } from './regions';

/** 'background-blur' works at this fraction of the frame's size (blur and mask alike). */
const BACKGROUND_SCALE = 1 / 4;

/** Blurs everything but the person whose face is `face` (everything when it is null). */
export function blurBackground(frame: VideoFrame, mat: Mat, face: FaceRect | null): void {
  const sw = Math.max(8, Math.round(frame.width * BACKGROUND_SCALE));
  const sh = Math.max(8, Math.round(frame.height * BACKGROUND_SCALE));
  const small = mat.resize(sh, sw, 0, 0, cv.INTER_AREA);
  const blurredSmall = small.gaussianBlur(new cv.Size(9, 9), 0, 0, cv.BORDER_REPLICATE);
  const blurred = blurredSmall.resize(frame.height, frame.width, 0, 0, cv.INTER_LINEAR);
  const bg = blurred.getData();
  for (const m of [small, blurredSmall, blurred]) m.release();
  if (!face) {
    // nobody in the picture: all of it is background
    bg.copy(frame.data);
    return;
  }
  const alpha = personMask(face, frame.width, frame.height, sw, sh);
  compositeOver(frame.data, bg, alpha);
}

/**
 * Per-pixel weight of the person (255) against the background (0), `width` x `height` bytes: an
 * ellipse around the head (hair and ears included) and the neck and shoulders widening down to the
 * bottom edge. Drawn at `sw` x `sh` and blurred there, so the upscaled edge is feathered for free.
 */
function personMask(face: FaceRect, width: number, height: number, sw: number, sh: number): Buffer {
  const kx = sw / width;
  const ky = sh / height;
  const cx = (face.x + face.width / 2) * kx;
  const fw = face.width * kx;
  const fh = face.height * ky;
  const fy = face.y * ky;
  const mask = new cv.Mat(sh, sw, cv.CV_8UC1, 0);
  mask.drawEllipse(
    new cv.Point2(cx, fy + 0.4 * fh),
    new cv.Size(0.8 * fw, 1.05 * fh),
    0,
    0,
    360,
    WHITE,
    cv.FILLED,
    cv.LINE_8,
  );
  const neckY = fy + 0.85 * fh;
  const shoulderY = fy + 1.45 * fh;
  const bottom = sh + 2;
  mask.drawFillPoly(
    [
      [
        new cv.Point2(Math.round(cx - 0.38 * fw), Math.round(neckY)),
        new cv.Point2(Math.round(cx + 0.38 * fw), Math.round(neckY)),
        new cv.Point2(Math.round(cx + 1.45 * fw), Math.round(shoulderY)),
        new cv.Point2(Math.round(cx + 1.65 * fw), bottom),
        new cv.Point2(Math.round(cx - 1.65 * fw), bottom),
        new cv.Point2(Math.round(cx - 1.45 * fw), Math.round(shoulderY)),
      ],
    ],
    WHITE,
    cv.LINE_8,
  );
  const feathered = mask.gaussianBlur(new cv.Size(5, 5), 0, 0, cv.BORDER_REPLICATE);
  const full = feathered.resize(height, width, 0, 0, cv.INTER_LINEAR);
  const data = full.getData();
  for (const m of [mask, feathered, full]) m.release();
  return data;
}

/** `dst = dst * a + bg * (1 - a)` per pixel, `a` in 0..255; untouched where a is 255. */
function compositeOver(dst: Buffer, bg: Buffer, alpha: Buffer): void {
  const n = alpha.length;
  for (let i = 0, p = 0; i < n; i++, p += VIDEO_BYTES_PER_PIXEL) {
    const a = alpha[i];
    if (a === 255) continue;
    if (a === 0) {
      dst[p] = bg[p];
      dst[p + 1] = bg[p + 1];
      dst[p + 2] = bg[p + 2];
      continue;
    }
    const b = 255 - a;
    dst[p] = (dst[p] * a + bg[p] * b + 127) / 255;
    dst[p + 1] = (dst[p + 1] * a + bg[p + 1] * b + 127) / 255;
    dst[p + 2] = (dst[p + 2] * a + bg[p + 2] * b + 127) / 255;
  }
}
