/**
 * Framing layer: a 4-byte big-endian length prefix in front of each frame body; the body starts with
 * a type byte. The maximum body size is enforced on send and on receive, and a receiver rejects an
 * oversized frame as soon as its prefix arrives, before buffering its body.
 */
import { FRAME_PREFIX_BYTES } from './constants';
import { DecodeError, EncodeError, ErrorCode, type ErrorCodeValue } from './errors';

/** Builds one frame (prefix + type + payload) in a single allocation. */
export function encodeFrame(type: number, payload: Uint8Array, maxFrameSize: number): Buffer {
  const bodyLength = 1 + payload.length;
  if (bodyLength > maxFrameSize) {
    throw new EncodeError(
      `frame of ${bodyLength} bytes exceeds the ${maxFrameSize}-byte limit`,
      ErrorCode.FRAME_TOO_LARGE,
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bodyLength);
  frame.writeUInt32BE(bodyLength, 0);
  frame[FRAME_PREFIX_BYTES] = type;
  frame.set(payload, FRAME_PREFIX_BYTES + 1);
  return frame;
}

/** Type byte of a whole frame (as returned by FrameDecoder). */
export function frameType(frame: Buffer): number {
  return frame[FRAME_PREFIX_BYTES] as number;
}

/** Payload of a whole frame: the bytes after the type byte (a view, not a copy). */
export function framePayload(frame: Buffer): Buffer {
  return frame.subarray(FRAME_PREFIX_BYTES + 1);
}

/**
 * A framing error found in a chunk after `frames` (possibly none) were decoded from it: the
 * receiver handles those first, so what a peer sent before its garbage does not depend on how TCP
 * cut the stream.
 */
export class FramingError extends DecodeError {
  readonly frames: Buffer[];
  constructor(message: string, code: ErrorCodeValue, frames: Buffer[]) {
    super(message, code);
    this.name = 'FramingError';
    this.frames = frames;
  }
}

/**
 * Splits a byte stream into whole frames. `push` returns the frames completed by a chunk; each is a
 * view of the received bytes including its length prefix, so a relay can forward it unchanged.
 * Throws FramingError (a DecodeError carrying the frames decoded before it) on an empty or oversized
 * frame; the stream is then unusable.
 */
export class FrameDecoder {
  #maxFrameSize: number;
  #parts: Buffer[] = [];
  #buffered = 0;
  /** Bytes needed (counted from the start of the buffered data) before decoding can go on. */
  #wanted = 0;
  #failed = false;

  constructor(maxFrameSize: number) {
    if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1) {
      throw new TypeError('maxFrameSize must be a positive integer');
    }
    this.#maxFrameSize = maxFrameSize;
  }

  /** Largest frame body accepted; may change between frames (a media link raises it once attached). */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }
  set maxFrameSize(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError('maxFrameSize must be a positive integer');
    this.#maxFrameSize = max;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#failed) throw new DecodeError('decoder already failed');
    let data: Buffer;
    if (this.#buffered > 0) {
      this.#parts.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered < this.#wanted) return [];
      data = Buffer.concat(this.#parts, this.#buffered);
      this.#parts = [];
      this.#buffered = 0;
    } else {
      data = chunk;
    }
    const frames: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const remaining = data.length - offset;
      if (remaining < FRAME_PREFIX_BYTES) {
        this.#wanted = FRAME_PREFIX_BYTES;
        break;
      }
      const bodyLength = data.readUInt32BE(offset);
      if (bodyLength === 0) {
        this.#failed = true;
        throw new FramingError('empty frame', ErrorCode.BAD_FRAME, frames);
      }
      if (bodyLength > this.#maxFrameSize) {
        this.#failed = true;
        throw new FramingError(
          `frame of ${bodyLength} bytes exceeds the ${this.#maxFrameSize}-byte limit`,
          ErrorCode.FRAME_TOO_LARGE,
          frames,
        );
      }
      const total = FRAME_PREFIX_BYTES + bodyLength;
      if (remaining < total) {
        this.#wanted = total;
        break;
      }
      frames.push(data.subarray(offset, offset + total));
      offset += total;
    }
    if (offset < data.length) {
      this.#parts = [data.subarray(offset)];
      this.#buffered = data.length - offset;
    }
    return frames;
  }
}
