/**
 * Face effects that hide the face: 'blur' (a strong Gaussian blur inside the face's ellipse,
 * computed at 1/8 scale) and 'pixelate' (coarse blocks: area downscale, nearest-neighbour upscale).
 */
import type { VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { ellipseMask, faceRegion } from './faceRegion';
import { cvRect, writeRegion, type FaceRect } from './regions';

/** 'blur' works at this fraction of the face region's size. */
const BLUR_SCALE = 1 / 8;

/** Blurs the face region of `frame` (whose pixels `mat` holds) inside its ellipse. */
export function blurFace(frame: VideoFrame, mat: Mat, face: FaceRect): void {
  const r = faceRegion(frame, face);
  if (!r) return;
  const src = mat.getRegion(cvRect(r));
  // a 7x7 Gaussian at 1/8 scale is a ~30 px-wide blur at full scale, for a fraction of the cost
  const small = src.resize(
    Math.max(4, Math.round(r.height * BLUR_SCALE)),
    Math.max(4, Math.round(r.width * BLUR_SCALE)),
    0,
    0,
    cv.INTER_AREA,
  );
  const blurred = small.gaussianBlur(new cv.Size(7, 7), 0, 0, cv.BORDER_REPLICATE);
  const big = blurred.resize(r.height, r.width, 0, 0, cv.INTER_LINEAR);
  const out = src.copy();
  const mask = ellipseMask(r.width, r.height);
  big.copyTo(out, mask);
  writeRegion(frame, r, out);
  for (const m of [small, blurred, big, out, mask]) m.release();
}

/** Turns the face region into blocks `blockFraction` of the face's width wide. */
export function pixelateFace(
  frame: VideoFrame,
  mat: Mat,
  face: FaceRect,
  blockFraction: number,
): void {
  const r = faceRegion(frame, face);
  if (!r) return;
  const block = Math.max(4, Math.round(face.width * blockFraction));
  const src = mat.getRegion(cvRect(r));
  const small = src.resize(
    Math.max(1, Math.round(r.height / block)),
    Math.max(1, Math.round(r.width / block)),
    0,
    0,
    cv.INTER_AREA,
  );
  const big = small.resize(r.height, r.width, 0, 0, cv.INTER_NEAREST);
  writeRegion(frame, r, big);
  small.release();
  big.release();
}
