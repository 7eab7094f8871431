/**
 * Errors of the media layer: each has a stable code (`ERR_MEDIA_<KEY>`), so callers and tests match
 * on the code rather than on the message. Bad arguments throw plain `TypeError`/`RangeError` naming
 * the field instead.
 */
export const MediaErrorCode = {
  /** A JPEG buffer is empty, truncated beyond repair or not a JPEG. */
  BAD_JPEG: 'ERR_MEDIA_BAD_JPEG',
  /** A WAV file is malformed or in a format the media layer does not take (not PCM16 48 kHz mono). */
  BAD_WAV: 'ERR_MEDIA_BAD_WAV',
  /** An Opus packet could not be decoded. */
  BAD_OPUS: 'ERR_MEDIA_BAD_OPUS',
  /** A capture (camera, video file, audio device) could not be opened. */
  OPEN_FAILED: 'ERR_MEDIA_OPEN_FAILED',
  /** A camera or audio device id names no such device (or one without the needed channels). */
  NO_DEVICE: 'ERR_MEDIA_NO_DEVICE',
  /** A capture failed while running. */
  CAPTURE_FAILED: 'ERR_MEDIA_CAPTURE_FAILED',
  /** A playback device failed. */
  PLAYBACK_FAILED: 'ERR_MEDIA_PLAYBACK_FAILED',
  /** The object was used after `stop()`/`close()`. */
  CLOSED: 'ERR_MEDIA_CLOSED',
} as const;
/** One of the `MediaErrorCode` values. */
export type MediaErrorCodeValue = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

/** An error of the media layer carrying a stable code. */
export class MediaError extends Error {
  /** Stable code, one of `MediaErrorCode`. */
  readonly code: MediaErrorCodeValue;
  /** An error with a stable `code`. */
  constructor(code: MediaErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaError';
    this.code = code;
  }
}

/** Turns whatever a native binding threw (OpenCV throws plain strings) into an Error message. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}
