/**
 * Bounds-checked binary codecs over a `{ buffer, start, end }` state, in the manner of
 * compact-encoding: every read checks that its bytes are there and throws 'Out of bounds' if not.
 * A read past the end is a DecodeError (bad input); a write past the end is an EncodeError (the
 * caller sized its buffer wrong), so an encode path never reports a decode failure.
 */
import { DecodeError, EncodeError } from './errors';

export interface CodecState {
  buffer: Buffer;
  start: number;
  end: number;
}

export interface Codec<T> {
  /** Bytes that `encode` will write for `value`. */
  preencode(value: T): number;
  encode(state: CodecState, value: T): void;
  decode(state: CodecState): T;
}

export function state(buffer: Buffer, start = 0, end = buffer.length): CodecState {
  return { buffer, start, end };
}

/** Checks that `bytes` remain to be read. */
function need(s: CodecState, bytes: number): void {
  if (s.end - s.start < bytes) throw new DecodeError('Out of bounds');
}

/** Checks that `bytes` remain to be written. */
function room(s: CodecState, bytes: number): void {
  if (s.end - s.start < bytes) throw new EncodeError('Out of bounds');
}

export const uint8: Codec<number> = {
  preencode: () => 1,
  encode(s, v) {
    room(s, 1);
    s.buffer.writeUInt8(v, s.start);
    s.start += 1;
  },
  decode(s) {
    need(s, 1);
    const v = s.buffer.readUInt8(s.start);
    s.start += 1;
    return v;
  },
};

export const uint32: Codec<number> = {
  preencode: () => 4,
  encode(s, v) {
    room(s, 4);
    s.buffer.writeUInt32BE(v >>> 0, s.start);
    s.start += 4;
  },
  decode(s) {
    need(s, 4);
    const v = s.buffer.readUInt32BE(s.start);
    s.start += 4;
    return v;
  },
};

/** Unsigned 64-bit integer carried as a JS number (exact up to 2^53). */
export const uint64: Codec<number> = {
  preencode: () => 8,
  encode(s, v) {
    room(s, 8);
    if (!Number.isSafeInteger(v) || v < 0)
      throw new TypeError('uint64 value must be a safe integer');
    s.buffer.writeUInt32BE(Math.floor(v / 0x1_0000_0000), s.start);
    s.buffer.writeUInt32BE(v % 0x1_0000_0000, s.start + 4);
    s.start += 8;
  },
  decode(s) {
    need(s, 8);
    const hi = s.buffer.readUInt32BE(s.start);
    const lo = s.buffer.readUInt32BE(s.start + 4);
    if (hi >= 0x20_0000) throw new DecodeError('uint64 value exceeds 2^53');
    s.start += 8;
    return hi * 0x1_0000_0000 + lo;
  },
};

/** The rest of the state as a view (no copy), capped at `max` bytes. */
export function rest(max: number): Codec<Buffer> {
  return {
    preencode: (v) => v.length,
    encode(s, v) {
      if (v.length > max) throw new EncodeError(`payload of ${v.length} bytes exceeds ${max}`);
      room(s, v.length);
      s.buffer.set(v, s.start);
      s.start += v.length;
    },
    decode(s) {
      const length = s.end - s.start;
      if (length > max) throw new DecodeError(`payload of ${length} bytes exceeds ${max}`);
      const v = s.buffer.subarray(s.start, s.end);
      s.start = s.end;
      return v;
    },
  };
}
