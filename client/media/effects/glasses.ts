/**
 * The 'glasses' face effect: sunglasses drawn over the eyes with OpenCV primitives (tinted lenses,
 * rims, a bridge, temples and a glint), placed by the proportions of Haar's face square.
 */
import type { VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { cvRect, writeRegion, type FaceRect } from './regions';

/** Draws sunglasses on the face. */
export function drawGlasses(frame: VideoFrame, mat: Mat, face: FaceRect): void {
  const out = mat.getRegion(cvRect(face)).copy();
  const w = face.width;
  const h = face.height;
  // Haar's face square puts the eyes about 40% down and 30% in from each side
  const eyeY = 0.41 * h;
  const lensW = 0.165 * w;
  const lensH = 0.12 * w;
  const left = new cv.Point2(0.3 * w, eyeY);
  const right = new cv.Point2(0.7 * w, eyeY);
  const axes = new cv.Size(lensW, lensH);
  const rim = Math.max(2, Math.round(w / 40));
  const rimColor = new cv.Vec3(25, 25, 25);
  // tinted lenses at 85% opacity: the eyes show through a little
  const tinted = out.copy();
  tinted.drawEllipse(left, axes, 0, 0, 360, new cv.Vec3(45, 30, 20), cv.FILLED, cv.LINE_AA);
  tinted.drawEllipse(right, axes, 0, 0, 360, new cv.Vec3(45, 30, 20), cv.FILLED, cv.LINE_AA);
  const blended = tinted.addWeighted(0.85, out, 0.15, 0);
  blended.drawEllipse(left, axes, 0, 0, 360, rimColor, rim, cv.LINE_AA);
  blended.drawEllipse(right, axes, 0, 0, 360, rimColor, rim, cv.LINE_AA);
  // bridge over the nose and temples out to the sides of the head
  const top = eyeY - 0.35 * lensH;
  blended.drawLine(
    new cv.Point2(0.3 * w + lensW, top),
    new cv.Point2(0.7 * w - lensW, top),
    rimColor,
    rim,
    cv.LINE_AA,
  );
  blended.drawLine(
    new cv.Point2(0.3 * w - lensW, top),
    new cv.Point2(0.02 * w, top - 0.03 * h),
    rimColor,
    rim,
    cv.LINE_AA,
  );
  blended.drawLine(
    new cv.Point2(0.7 * w + lensW, top),
    new cv.Point2(0.98 * w, top - 0.03 * h),
    rimColor,
    rim,
    cv.LINE_AA,
  );
  // a glint on each lens
  const glint = new cv.Size(lensW * 0.55, lensH * 0.55);
  const glintWidth = Math.max(1, Math.round(rim / 2));
  blended.drawEllipse(left, glint, 0, 200, 250, new cv.Vec3(230, 230, 230), glintWidth, cv.LINE_AA);
  blended.drawEllipse(
    right,
    glint,
    0,
    200,
    250,
    new cv.Vec3(230, 230, 230),
    glintWidth,
    cv.LINE_AA,
  );
  writeRegion(frame, face, blended);
  for (const m of [out, tinted, blended]) m.release();
}
