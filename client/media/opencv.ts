/**
 * Loads OpenCV (`@u4/opencv4nodejs`) once for the media layer. Its loader logs its build settings
 * to stdout on every load; that logger (from `@u4/opencv-build`, a dependency of the binding) is
 * silenced first so a client's stdout stays clean.
 */
import { Log } from '@u4/opencv-build';

Log.silence = true;

// eslint-disable-next-line @typescript-eslint/no-require-imports
import cvModule = require('@u4/opencv4nodejs');

/** The OpenCV binding. */
export const cv = cvModule.cv;
/** An OpenCV matrix (image). */
export type Mat = cvModule.Mat;
