/**
 * The 'beauty' face effect: skin smoothing, a bilateral filter on the face blended with the
 * original inside the face's ellipse, with a slight lift in brightness.
 */
import type { VideoFrame } from '../frames';
import type { Mat } from '../native/opencv';
import { ellipseMask, faceRegion } from './faceRegion';
import { cvRect, writeRegion, type FaceRect } from './regions';

/** Smooths the face's skin; `strength` (0..1) is the weight of the smoothed picture. */
export function smoothSkin(frame: VideoFrame, mat: Mat, face: FaceRect, strength: number): void {
  const r = faceRegion(frame, face);
  if (!r) return;
  const src = mat.getRegion(cvRect(r));
  // the bilateral filter flattens skin texture but keeps edges (eyes, mouth, outline)
  const d = face.width >= 160 ? 9 : 7;
  const smooth = src.bilateralFilter(d, 40, d);
  const k = strength;
  // a slight lift in brightness goes with the smoothing
  const blended = smooth.addWeighted(k, src, 1 - k, 6);
  const out = src.copy();
  const mask = ellipseMask(r.width, r.height);
  blended.copyTo(out, mask);
  writeRegion(frame, r, out);
  for (const m of [smooth, blended, out, mask]) m.release();
}
