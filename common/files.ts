/**
 * File transfers on the wire and on disk, shared by both sides: the binary chunk frame of the files
 * link, and the file-name sanitiser the server applies to every offered name and the client applies
 * again before it writes anything.
 *
 *   chunk frame  [type FILE u8][fileId u32][offset u64][data …]      (big-endian)
 */
import {
  FILE_HEADER_BYTES,
  FILE_MIME_MAX_LENGTH,
  FILE_NAME_MAX_BYTES,
  FRAME_PREFIX_BYTES,
  FrameType,
} from './constants';
import { DecodeError, EncodeError } from './errors';

/** One chunk of a file: `data` belongs at byte `offset` of file `fileId`. */
export interface FileChunk {
  fileId: number;
  offset: number;
  data: Buffer;
}

const HEADER_AT = FRAME_PREFIX_BYTES + 1;

/** Encodes a whole chunk frame (length prefix included) holding `data`. */
export function encodeFileChunk(
  fileId: number,
  offset: number,
  data: Uint8Array,
  maxFrameSize: number,
): Buffer {
  if (!Number.isInteger(fileId) || fileId < 0 || fileId > 0xffffffff)
    throw new TypeError('fileId must be a u32');
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new TypeError('offset must be a non-negative safe integer');
  const body = 1 + FILE_HEADER_BYTES + data.length;
  if (body > maxFrameSize) throw new EncodeError(`file chunk of ${body} bytes exceeds the limit`);
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + body);
  frame.writeUInt32BE(body, 0);
  frame[FRAME_PREFIX_BYTES] = FrameType.FILE;
  frame.writeUInt32BE(fileId, HEADER_AT);
  frame.writeBigUInt64BE(BigInt(offset), HEADER_AT + 4);
  frame.set(data, HEADER_AT + FILE_HEADER_BYTES);
  return frame;
}

/** Decodes a whole chunk frame (length prefix included); the data is a view, not a copy. */
export function decodeFileChunk(frame: Buffer): FileChunk {
  if (frame.length < HEADER_AT + FILE_HEADER_BYTES || frame[FRAME_PREFIX_BYTES] !== FrameType.FILE)
    throw new DecodeError('truncated or mistyped file chunk');
  const offset = frame.readBigUInt64BE(HEADER_AT + 4);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('file chunk offset too big');
  return {
    fileId: frame.readUInt32BE(HEADER_AT),
    offset: Number(offset),
    data: frame.subarray(HEADER_AT + FILE_HEADER_BYTES),
  };
}

// ---- names ---------------------------------------------------------------------------------------

/** Device names Windows reserves whatever the extension (`con.txt` is the console). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Characters no portable file system takes in a name. */
const FORBIDDEN_CHARS = /[<>:"|?*]/g;

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * A name safe to create in any folder on Linux, macOS and Windows, or null when nothing usable is
 * left. Folders are dropped (`../../etc/passwd` → `passwd`, `C:\x\y.txt` → `y.txt`); NUL, control
 * and bidirectional-override characters removed; `<>:"|?*` become `_`; leading dots and trailing
 * dots and spaces removed (no hidden files, no `..`); Windows device names get a `_` in front; the
 * name is cut to FILE_NAME_MAX_BYTES of UTF-8 keeping its extension.
 */
export function sanitizeFileName(raw: string): string | null {
  let name = raw.normalize('NFC').replace(CONTROL_CHARS, '');
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  name = name.slice(slash + 1);
  name = name.replace(FORBIDDEN_CHARS, '_').trim();
  name = name.replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (!name) return null;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (Buffer.byteLength(name) > FILE_NAME_MAX_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name =
      cutUtf8(
        name.slice(0, name.length - ext.length),
        FILE_NAME_MAX_BYTES - Buffer.byteLength(ext),
      ) + ext;
    name = name.replace(/[. ]+$/, '');
  }
  return name || null;
}

/** A MIME type as `type/subtype` in lower case, or application/octet-stream. */
export function sanitizeMime(raw: string | undefined): string {
  const mime = (raw ?? '').trim().toLowerCase();
  return mime.length <= FILE_MIME_MAX_LENGTH &&
    /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(mime)
    ? mime
    : 'application/octet-stream';
}

/** A lower-case hex SHA-256 digest. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
