/**
 * Media frames: a compact binary header after the frame type byte, then an opaque payload (Opus or
 * JPEG). Layout (big-endian), offsets from the start of the header:
 *
 *   0 kind u8 | 1 source u8 | 2 flags u8 | 3 reserved u8 | 4 sender u32 | 8 sequence u32 |
 *   12 capture timestamp u64 (server-clock microseconds) | 20 payload
 *
 * Senders write sender 0; the server stamps the sending member's id in place before relaying.
 */
import {
  FRAME_PREFIX_BYTES,
  FrameType,
  MEDIA_HEADER_BYTES,
  MediaKind,
  type MediaKindValue,
} from './constants';
import { rest, state, uint32, uint64, uint8 } from './codec';
import { DecodeError, EncodeError, ErrorCode } from './errors';
import { frameType } from './framing';

export interface MediaHeader {
  kind: MediaKindValue;
  /** Which of the sender's sources of this kind (camera 0, screen 1). */
  source: number;
  flags: number;
  /** Member id of the sender (0 from a client; stamped by the server). */
  sender: number;
  sequence: number;
  /** Capture time in server-clock microseconds. */
  timestamp: number;
}

export interface MediaFrame {
  header: MediaHeader;
  /** View of the payload inside the received frame. */
  payload: Buffer;
}

const HEADER_OFFSET = FRAME_PREFIX_BYTES + 1;
/** Offset of the sender id inside a whole frame (length prefix included). */
export const MEDIA_SENDER_OFFSET = HEADER_OFFSET + 4;
const KINDS = new Set<number>(Object.values(MediaKind));

/** Builds a whole media frame (prefix, type, header, payload) in one allocation. */
export function encodeMediaFrame(
  header: MediaHeader,
  payload: Uint8Array,
  maxFrameSize: number,
): Buffer {
  const bodyLength = 1 + MEDIA_HEADER_BYTES + payload.length;
  if (bodyLength > maxFrameSize) {
    throw new EncodeError(
      `media frame of ${bodyLength} bytes exceeds the ${maxFrameSize}-byte limit`,
      ErrorCode.FRAME_TOO_LARGE,
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bodyLength);
  frame.writeUInt32BE(bodyLength, 0);
  frame[FRAME_PREFIX_BYTES] = FrameType.MEDIA;
  const s = state(frame, HEADER_OFFSET);
  uint8.encode(s, header.kind);
  uint8.encode(s, header.source);
  uint8.encode(s, header.flags);
  uint8.encode(s, 0);
  uint32.encode(s, header.sender);
  uint32.encode(s, header.sequence);
  uint64.encode(s, Math.max(0, Math.round(header.timestamp)));
  frame.set(payload, s.start);
  return frame;
}

/** Decodes a whole media frame (as returned by FrameDecoder); bounds-checked, payload capped. */
export function decodeMediaFrame(frame: Buffer, maxPayload: number): MediaFrame {
  if (frame.length < HEADER_OFFSET + MEDIA_HEADER_BYTES || frameType(frame) !== FrameType.MEDIA) {
    throw new DecodeError('truncated or non-media frame');
  }
  const s = state(frame, HEADER_OFFSET);
  const kind = uint8.decode(s);
  if (!KINDS.has(kind)) throw new DecodeError(`unknown media kind ${kind}`);
  const source = uint8.decode(s);
  const flags = uint8.decode(s);
  uint8.decode(s);
  const header: MediaHeader = {
    kind: kind as MediaKindValue,
    source,
    flags,
    sender: uint32.decode(s),
    sequence: uint32.decode(s),
    timestamp: uint64.decode(s),
  };
  return { header, payload: rest(maxPayload).decode(s) };
}

/** Media kind of a whole frame without decoding the rest (the relay's only look inside). */
export function mediaKindOf(frame: Buffer): number {
  // A frame too short for a whole header has no kind: the relay must not stamp or forward it.
  return frame.length >= HEADER_OFFSET + MEDIA_HEADER_BYTES ? (frame[HEADER_OFFSET] as number) : 0;
}

/** Source id of a whole frame (camera/microphone 0, screen 1) without decoding the rest. */
export function mediaSourceOf(frame: Buffer): number {
  return frame.length >= HEADER_OFFSET + MEDIA_HEADER_BYTES
    ? (frame[HEADER_OFFSET + 1] as number)
    : 0;
}

/** Writes the sender id into a whole media frame in place (the relay reuses the received bytes). */
export function stampSender(frame: Buffer, sender: number): void {
  frame.writeUInt32BE(sender >>> 0, MEDIA_SENDER_OFFSET);
}
