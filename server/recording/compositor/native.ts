/**
 * The compositor's native codecs: OpenCV for JPEG decoding, scaling and the name labels, libopus
 * (`@discordjs/opus`) for audio. Loaded only in the compositor process, never in the server's.
 */
import { Log } from '@u4/opencv-build';

Log.silence = true;
// Built against Debian's OpenCV (scripts/build-native.sh); never let the loader try to build one.
process.env.OPENCV4NODEJS_DISABLE_AUTOBUILD ??= '1';

// eslint-disable-next-line @typescript-eslint/no-require-imports
import cvModule = require('@u4/opencv4nodejs');

export const cv = cvModule.cv;
export type Mat = cvModule.Mat;
export { OpusEncoder as OpusDecoder } from '@discordjs/opus';
