/**
 * Loads OpenCV (`@u4/opencv4nodejs`) once for the media layer. Its loader logs its build settings
 * to stdout on every load; that logger (from `@u4/opencv-build`, a dependency of the binding) is
 * silenced first so a client's stdout stays clean.
 */
import { Log } from '@u4/opencv-build';

Log.silence = true;
// The binding is built against Debian's OpenCV by scripts/build-native.sh. Without this its loader
// looks for an OpenCV that @u4/opencv-build compiled itself and throws when there is none.
process.env.OPENCV4NODEJS_DISABLE_AUTOBUILD ??= '1';

// eslint-disable-next-line @typescript-eslint/no-require-imports
import cvModule = require('@u4/opencv4nodejs');

/** The OpenCV binding. */
export const cv = cvModule.cv;
/** An OpenCV matrix (image). */
export type Mat = cvModule.Mat;
