/**
 * Shapes the face effects share: the region an effect treats as "the face" and an elliptical mask
 * that keeps an effect inside the face's outline.
 */
import type { VideoFrame } from '../frames';
import { cv, type Mat } from '../native/opencv';
import { expandRect, type FaceRect, type Margins } from './regions';

/** The region an effect treats as "the face": the detector's square grown to forehead and chin. */
const FACE_MARGINS: Margins = { left: 0.12, right: 0.12, top: 0.22, bottom: 0.15 };

/** Set pixels of a mask. */
export const WHITE = new cv.Vec3(255, 255, 255);

/** The face region of `face` in `frame`, or null when nothing of it is inside the frame. */
export function faceRegion(frame: VideoFrame, face: FaceRect): FaceRect | null {
  return expandRect(face, FACE_MARGINS, frame.width, frame.height);
}

/** A CV_8UC1 mask of `width` x `height` with the inscribed ellipse set to 255. */
export function ellipseMask(width: number, height: number): Mat {
  const mask = new cv.Mat(height, width, cv.CV_8UC1, 0);
  mask.drawEllipse(
    new cv.Point2(width / 2, height / 2),
    new cv.Size(width / 2, height / 2),
    0,
    0,
    360,
    WHITE,
    cv.FILLED,
    cv.LINE_8,
  );
  return mask;
}
