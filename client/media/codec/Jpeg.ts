/**
 * JPEG encoding and decoding of video frames with OpenCV (libjpeg-turbo underneath). Every decoded
 * input is checked first: OpenCV aborts the whole process on an empty buffer, returns an empty Mat
 * for garbage and a partly grey picture for a truncated file; all become a `MediaError` with code
 * ERR_MEDIA_BAD_JPEG here.
 */
import { VIDEO_DEFAULT_JPEG_QUALITY } from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { VideoFrame, type EncodedPicture } from '../frames';
import { cv, type Mat } from '../native/opencv';

/** A decoded picture, 3 bytes per pixel in the order its name says. */
export interface DecodedImage {
  /** Packed pixels, `width * height * 3` bytes. */
  data: Buffer;
  width: number;
  height: number;
}

/** Smallest well-formed JPEG is well above this (SOI, a few segments, EOI). */
const MIN_JPEG_BYTES = 125;

/** Bytes after the end-of-image marker that some writers leave (padding); more means truncation. */
const MAX_TRAILING_BYTES = 32;

function hasEndMarker(buf: Buffer): boolean {
  for (let i = buf.length - 2; i >= Math.max(2, buf.length - 2 - MAX_TRAILING_BYTES); i--) {
    if (buf[i] === 0xff && buf[i + 1] === 0xd9) return true;
  }
  return false;
}

/**
 * The picture a renderer gets for a received JPEG: the JPEG itself. Qt decodes a 640x480 JPEG while
 * painting in about 3.2 ms; decoding here (OpenCV) and handing Qt raw pixels costs that twice over,
 * so received video is decoded by the painter. Code that needs pixels calls `decodeJpegBgr`.
 */
export function receivedPicture(jpeg: Buffer): EncodedPicture {
  return { format: 'jpeg', data: jpeg };
}

/** Encodes a BGR frame as JPEG at `quality` (1..100). */
export function encodeJpeg(
  frame: VideoFrame,
  quality: number = VIDEO_DEFAULT_JPEG_QUALITY,
): Buffer {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new TypeError(`JPEG quality must be an integer in 1..100, got ${quality}`);
  }
  const mat = new cv.Mat(frame.data, frame.height, frame.width, cv.CV_8UC3);
  try {
    return cv.imencode('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, quality]);
  } finally {
    mat.release();
  }
}

function decodeMat(buf: Buffer): Mat {
  if (!Buffer.isBuffer(buf)) throw new TypeError('JPEG input must be a Buffer');
  // SOI marker FF D8 FF; anything shorter or different is rejected before OpenCV sees it
  if (buf.length < MIN_JPEG_BYTES || buf[0] !== 0xff || buf[1] !== 0xd8 || buf[2] !== 0xff) {
    throw new MediaError(MediaErrorCode.BAD_JPEG, `not a JPEG (${buf.length} bytes)`);
  }
  // libjpeg decodes a truncated file into a partly grey picture (warning on stderr); reject it instead
  if (!hasEndMarker(buf))
    throw new MediaError(
      MediaErrorCode.BAD_JPEG,
      `truncated JPEG (${buf.length} bytes, no end-of-image marker)`,
    );
  let mat: Mat;
  try {
    mat = cv.imdecode(buf, cv.IMREAD_COLOR);
  } catch (error) {
    throw new MediaError(MediaErrorCode.BAD_JPEG, `JPEG decode failed: ${describeThrown(error)}`, {
      cause: error,
    });
  }
  if (mat.empty || mat.rows === 0 || mat.cols === 0) {
    throw new MediaError(MediaErrorCode.BAD_JPEG, `corrupt JPEG (${buf.length} bytes)`);
  }
  return mat;
}

/** Decodes a JPEG to packed BGR (OpenCV's order, the `VideoFrame` layout). */
export function decodeJpegBgr(buf: Buffer): DecodedImage {
  const mat = decodeMat(buf);
  try {
    return { data: mat.getData(), width: mat.cols, height: mat.rows };
  } finally {
    mat.release();
  }
}

/** Decodes a JPEG to packed RGB, the order renderers (Qt's RGB888) take. */
export function decodeJpeg(buf: Buffer): DecodedImage {
  const bgr = decodeMat(buf);
  let rgb: Mat | undefined;
  try {
    rgb = bgr.cvtColor(cv.COLOR_BGR2RGB);
    return { data: rgb.getData(), width: rgb.cols, height: rgb.rows };
  } finally {
    bgr.release();
    rgb?.release();
  }
}

/** Decodes a JPEG into a `VideoFrame` (BGR) with the given timestamp and frame number. */
export function decodeJpegFrame(buf: Buffer, timestamp: number, frameNumber: number): VideoFrame {
  const { data, width, height } = decodeJpegBgr(buf);
  return new VideoFrame(data, width, height, timestamp, frameNumber);
}
