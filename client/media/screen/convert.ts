/**
 * Turns a grabbed BGRA screen image into packed BGR of the output size with OpenCV, on the libuv
 * thread pool (`*Async`), so the event loop only pays for copying the pixels into a Mat.
 */
import { cv, type Mat } from '../native/opencv';
import type { ScreenImage } from './ScreenGrabber';

/** Output size of a screen of `width` x `height` scaled to fit `boxWidth` x `boxHeight` keeping its aspect ratio, never enlarged, in even numbers. */
export function fitInside(
  width: number,
  height: number,
  boxWidth: number,
  boxHeight: number,
): { width: number; height: number } {
  const scale = Math.min(1, boxWidth / width, boxHeight / height);
  return { width: even(width * scale), height: even(height * scale) };
}

/** The nearest even integer, at least 2 (video encoders prefer even sizes). */
export function even(value: number): number {
  return Math.max(2, Math.round(value / 2) * 2);
}

/**
 * Packed BGR bytes (`width * height * 3`) of `image` resized to `width` x `height`: INTER_AREA
 * when shrinking (thin text strokes are averaged, not dropped), INTER_LINEAR when enlarging.
 * `image.data` is copied at once and may be reused by the caller as soon as this returns.
 */
export async function screenImageToBgr(
  image: ScreenImage,
  width: number,
  height: number,
): Promise<Buffer> {
  const mats: Mat[] = [];
  try {
    const bgra = new cv.Mat(image.data, image.height, image.width, cv.CV_8UC4);
    mats.push(bgra);
    // colour first: the (costlier) resize then moves 3 bytes per pixel instead of 4
    let bgr = await bgra.cvtColorAsync(cv.COLOR_BGRA2BGR);
    mats.push(bgr);
    bgra.release();
    if (bgr.cols !== width || bgr.rows !== height) {
      const shrinking = bgr.cols > width || bgr.rows > height;
      bgr = await bgr.resizeAsync(height, width, 0, 0, shrinking ? cv.INTER_AREA : cv.INTER_LINEAR);
      mats.push(bgr);
    }
    return await bgr.getDataAsync();
  } finally {
    // native memory is freed now rather than whenever the GC gets to the wrappers
    for (const mat of mats) mat.release();
  }
}
