/**
 * Where the frontal-face Haar cascade comes from: Debian's opencv-data folders, the copy bundled
 * with the OpenCV binding, or the gzipped copy in opencv-doc.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { MediaError, MediaErrorCode } from '../errors';
import { cv } from '../native/opencv';

/** Cascade files, best first: alt2 finds more faces with fewer false hits than default here. */
const CASCADE_NAMES = [
  'haarcascade_frontalface_alt2.xml',
  'haarcascade_frontalface_default.xml',
] as const;

/** Folders where distributions install OpenCV's cascades (Debian: package opencv-data). */
const CASCADE_DIRS = [
  '/usr/share/opencv4/haarcascades',
  '/usr/share/opencv/haarcascades',
  '/usr/local/share/opencv4/haarcascades',
  '/usr/local/share/opencv/haarcascades',
];

/** Debian's opencv-doc ships one cascade, gzipped, among its HTML pages. */
const GZIPPED_CASCADE =
  '/usr/share/doc/opencv-doc/opencv4/html/haarcascade_frontalface_default.xml.gz';

/**
 * Path of a frontal-face Haar cascade: Debian's opencv-data folders first, then the copy bundled with
 * the OpenCV binding, then the gzipped copy in opencv-doc (unpacked once into the temp folder).
 * Throws a MediaError (ERR_MEDIA_OPEN_FAILED) when there is none.
 */
export function findFaceCascade(): string {
  for (const name of CASCADE_NAMES) {
    for (const dir of CASCADE_DIRS) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  for (const bundled of [cv.HAAR_FRONTALFACE_ALT2, cv.HAAR_FRONTALFACE_DEFAULT]) {
    if (typeof bundled === 'string' && fs.existsSync(bundled)) return bundled;
  }
  if (fs.existsSync(GZIPPED_CASCADE)) {
    const dir = path.join(os.tmpdir(), 'meeting-haarcascades');
    const file = path.join(dir, path.basename(GZIPPED_CASCADE, '.gz'));
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true });
      // write then rename, so a concurrent process never reads half a file
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, zlib.gunzipSync(fs.readFileSync(GZIPPED_CASCADE)));
      fs.renameSync(partial, file);
    }
    return file;
  }
  throw new MediaError(
    MediaErrorCode.OPEN_FAILED,
    `no frontal-face Haar cascade found (looked in ${CASCADE_DIRS.join(', ')}, the OpenCV binding and ${GZIPPED_CASCADE}); install Debian's opencv-data`,
  );
}
