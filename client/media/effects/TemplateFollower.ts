/**
 * Follows a face between detector runs by template matching: the central part of the face found
 * last is kept as a grey patch and searched for (normalised cross-correlation) in a window around
 * where the face was. It works on the tracker's small grey image; rectangles and centres in and
 * out are in frame pixels, `scale` frame pixels to one grey pixel.
 */
import { cv, type Mat } from '../native/opencv';
import { clampRect, type FaceRect } from './regions';

/** A greyscale patch of the last detected face, on the small grey image. */
interface Template {
  mat: Mat;
  /** The face's centre relative to the patch's top-left corner, small-image px. */
  ox: number;
  oy: number;
}

/** A face by its centre and size, frame px. */
export interface FaceBox {
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** Normalised correlation below this means the template was not found (the face left or turned). */
const FOLLOW_MIN_SCORE = 0.6;
/** The follow search window extends this fraction of the face size around it. */
const FOLLOW_SEARCH = 0.5;
/** The template is the face's central part: its borders hold background that moves differently. */
const TEMPLATE_INSET = 0.15;

export class TemplateFollower {
  #template: Template | null = null;

  /** True while a patch is kept to follow. */
  get ready(): boolean {
    return this.#template !== null;
  }

  /** Keeps the central part of `face` in `grey` as the patch to follow (none if it is too small). */
  keep(grey: Mat, face: FaceRect, scale: number): void {
    const fx = face.x / scale;
    const fy = face.y / scale;
    const fw = face.width / scale;
    const fh = face.height / scale;
    const inner = clampRect(
      {
        x: fx + fw * TEMPLATE_INSET,
        y: fy + fh * TEMPLATE_INSET,
        width: fw * (1 - 2 * TEMPLATE_INSET),
        height: fh * (1 - 2 * TEMPLATE_INSET),
      },
      grey.cols,
      grey.rows,
    );
    this.drop();
    if (!inner || inner.width < 8 || inner.height < 8) return;
    this.#template = {
      mat: grey.getRegion(new cv.Rect(inner.x, inner.y, inner.width, inner.height)).copy(),
      ox: fx + fw / 2 - inner.x,
      oy: fy + fh / 2 - inner.y,
    };
  }

  /** Forgets the patch. */
  drop(): void {
    this.#template?.mat.release();
    this.#template = null;
  }

  /** Where the face last at `face` is now in `grey`: its centre, or null when it was not found. */
  locate(grey: Mat, face: FaceBox, scale: number): { cx: number; cy: number } | null {
    const tpl = this.#template;
    if (!tpl) return null;
    const fw = face.w / scale;
    const fh = face.h / scale;
    const fx = face.cx / scale - fw / 2;
    const fy = face.cy / scale - fh / 2;
    const win = clampRect(
      {
        x: fx - fw * FOLLOW_SEARCH,
        y: fy - fh * FOLLOW_SEARCH,
        width: fw * (1 + 2 * FOLLOW_SEARCH),
        height: fh * (1 + 2 * FOLLOW_SEARCH),
      },
      grey.cols,
      grey.rows,
    );
    if (!win || win.width < tpl.mat.cols || win.height < tpl.mat.rows) return null;
    const region = grey.getRegion(new cv.Rect(win.x, win.y, win.width, win.height));
    const scores = region.matchTemplate(tpl.mat, cv.TM_CCOEFF_NORMED);
    const { maxVal, maxLoc } = scores.minMaxLoc();
    scores.release();
    if (!(maxVal >= FOLLOW_MIN_SCORE)) return null;
    // the template's top-left corner lands at maxLoc; the face's centre is at its offset from there
    return { cx: (win.x + maxLoc.x + tpl.ox) * scale, cy: (win.y + maxLoc.y + tpl.oy) * scale };
  }
}
