/**
 * A synthetic camera: a moving BGR test pattern (gradient background, a sweeping vertical bar and a
 * bouncing horizontal bar, so consecutive frames differ) that carries its frame number and a 48-bit
 * millisecond timestamp as large black/white blocks. The stamp survives JPEG compression (checked at
 * q=50..90), so an end-to-end test can read back which frame arrived and when it was captured.
 *
 * Stamp layout: 3 rows of 32 square blocks of `b` px (b = min(16, floor(width / 34)), so 16 px at
 * 640 wide), starting at (b, b) on a grey panel. The 96 bits, most significant first, are a guard
 * byte 0xB4, the frame number (u32), the timestamp (u48) and a CRC-8 of the preceding 11 bytes.
 * A block is read from the mean brightness of its central half, which JPEG ringing does not reach.
 */
import { VIDEO_DEFAULT_HEIGHT, VIDEO_DEFAULT_WIDTH } from '../../../common/constants';
import { VIDEO_BYTES_PER_PIXEL, VideoFrame } from '../frames';

const STAMP_COLUMNS = 32;
const STAMP_ROWS = 3;
const STAMP_BYTES = (STAMP_COLUMNS * STAMP_ROWS) / 8;
const GUARD = 0xb4;
const MAX_BLOCK = 16;
const MIN_BLOCK = 4;
const PANEL_GREY = 96;
const TIMESTAMP_LIMIT = 2 ** 48;
const U32 = 2 ** 32;

/** What a stamp carries. */
export interface PatternStamp {
  /** Frame number (0 .. 2^32-1). */
  frameNumber: number;
  /** Integer milliseconds (0 .. 2^48-1); wall-clock epoch milliseconds fit. */
  timestamp: number;
}

/** Options of a `TestPattern`. */
export interface TestPatternOptions {
  /** Width in pixels (default VIDEO_DEFAULT_WIDTH; at least 136 for the stamp). */
  width?: number;
  /** Height in pixels (default VIDEO_DEFAULT_HEIGHT). */
  height?: number;
}

/** Side of a stamp block for an image `width` pixels wide, or 0 when the image is too small. */
function blockSize(width: number, height: number): number {
  const b = Math.min(MAX_BLOCK, Math.floor(width / (STAMP_COLUMNS + 2)));
  if (b < MIN_BLOCK || height < b * (STAMP_ROWS + 2)) return 0;
  return b;
}

/** CRC-8 (polynomial 0x07), enough to reject a misread block. */
function crc8(bytes: Uint8Array, length: number): number {
  let crc = 0;
  for (let i = 0; i < length; i++) {
    crc ^= bytes[i];
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function fillRect(
  bgr: Buffer,
  width: number,
  x: number,
  y: number,
  w: number,
  h: number,
  b: number,
  g: number,
  r: number,
): void {
  if (b === g && g === r) {
    for (let row = y; row < y + h; row++) {
      const start = (row * width + x) * VIDEO_BYTES_PER_PIXEL;
      bgr.fill(b, start, start + w * VIDEO_BYTES_PER_PIXEL);
    }
    return;
  }
  for (let row = y; row < y + h; row++) {
    let p = (row * width + x) * VIDEO_BYTES_PER_PIXEL;
    for (let col = 0; col < w; col++) {
      bgr[p++] = b;
      bgr[p++] = g;
      bgr[p++] = r;
    }
  }
}

function checkImage(bgr: Buffer, width: number, height: number): void {
  if (!Number.isInteger(width) || width <= 0)
    throw new TypeError(`width must be a positive integer, got ${width}`);
  if (!Number.isInteger(height) || height <= 0)
    throw new TypeError(`height must be a positive integer, got ${height}`);
  if (bgr.length !== width * height * VIDEO_BYTES_PER_PIXEL) {
    throw new TypeError(
      `bgr has ${bgr.length} bytes, expected ${width * height * VIDEO_BYTES_PER_PIXEL} for ${width}x${height}`,
    );
  }
}

/** Draws `stamp` into a BGR image in place (any image at least 136x20, e.g. a camera frame). */
export function writePatternStamp(
  bgr: Buffer,
  width: number,
  height: number,
  stamp: PatternStamp,
): void {
  checkImage(bgr, width, height);
  const b = blockSize(width, height);
  if (b === 0) throw new RangeError(`a ${width}x${height} image is too small for a pattern stamp`);
  const { frameNumber, timestamp } = stamp;
  if (!Number.isInteger(frameNumber) || frameNumber < 0 || frameNumber >= U32) {
    throw new RangeError(`frameNumber must be an integer in [0, 2^32), got ${frameNumber}`);
  }
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp >= TIMESTAMP_LIMIT) {
    throw new RangeError(`timestamp must be an integer in [0, 2^48), got ${timestamp}`);
  }
  const bytes = new Uint8Array(STAMP_BYTES);
  bytes[0] = GUARD;
  const view = new DataView(bytes.buffer);
  view.setUint32(1, frameNumber);
  view.setUint16(5, Math.floor(timestamp / U32));
  view.setUint32(7, timestamp % U32);
  bytes[11] = crc8(bytes, 11);
  fillRect(
    bgr,
    width,
    b >> 1,
    b >> 1,
    b * (STAMP_COLUMNS + 1),
    b * (STAMP_ROWS + 1),
    PANEL_GREY,
    PANEL_GREY,
    PANEL_GREY,
  );
  for (let bit = 0; bit < STAMP_BYTES * 8; bit++) {
    const on = (bytes[bit >> 3] >> (7 - (bit & 7))) & 1;
    const x = b * (1 + (bit % STAMP_COLUMNS));
    const y = b * (1 + Math.floor(bit / STAMP_COLUMNS));
    const v = on ? 255 : 0;
    fillRect(bgr, width, x, y, b, b, v, v, v);
  }
}

/**
 * Reads the stamp of a BGR image made by `TestPattern`/`writePatternStamp` (also after JPEG
 * compression), or null when there is none: image too small, guard byte or checksum mismatch.
 */
export function readPatternStamp(bgr: Buffer, width: number, height: number): PatternStamp | null {
  checkImage(bgr, width, height);
  const b = blockSize(width, height);
  if (b === 0) return null;
  const bytes = new Uint8Array(STAMP_BYTES);
  const inner = b >> 1;
  const offset = b >> 2;
  for (let bit = 0; bit < STAMP_BYTES * 8; bit++) {
    const x0 = b * (1 + (bit % STAMP_COLUMNS)) + offset;
    const y0 = b * (1 + Math.floor(bit / STAMP_COLUMNS)) + offset;
    let sum = 0;
    for (let y = y0; y < y0 + inner; y++) {
      let p = (y * width + x0) * VIDEO_BYTES_PER_PIXEL;
      for (let x = 0; x < inner * VIDEO_BYTES_PER_PIXEL; x++) sum += bgr[p++];
    }
    if (sum > 127.5 * inner * inner * VIDEO_BYTES_PER_PIXEL) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  }
  if (bytes[0] !== GUARD || bytes[11] !== crc8(bytes, 11)) return null;
  const view = new DataView(bytes.buffer);
  return { frameNumber: view.getUint32(1), timestamp: view.getUint16(5) * U32 + view.getUint32(7) };
}

export class TestPattern {
  readonly #width: number;
  readonly #height: number;
  /** The static gradient, copied under each frame. */
  readonly #background: Buffer;

  /** A pattern of the given size (640x480 by default). */
  constructor(options: TestPatternOptions = {}) {
    const width = options.width ?? VIDEO_DEFAULT_WIDTH;
    const height = options.height ?? VIDEO_DEFAULT_HEIGHT;
    if (!Number.isInteger(width) || width <= 0)
      throw new TypeError(`TestPattern width must be a positive integer, got ${width}`);
    if (!Number.isInteger(height) || height <= 0)
      throw new TypeError(`TestPattern height must be a positive integer, got ${height}`);
    if (blockSize(width, height) === 0)
      throw new RangeError(`TestPattern ${width}x${height} is too small for its stamp`);
    this.#width = width;
    this.#height = height;
    this.#background = Buffer.allocUnsafe(width * height * VIDEO_BYTES_PER_PIXEL);
    let p = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        this.#background[p++] = Math.round((x * 255) / (width - 1 || 1));
        this.#background[p++] = Math.round((y * 255) / (height - 1 || 1));
        this.#background[p++] = 160 - Math.round((((x + y) % 64) * 96) / 64);
      }
    }
  }

  /** Width in pixels. */
  get width(): number {
    return this.#width;
  }

  /** Height in pixels. */
  get height(): number {
    return this.#height;
  }

  /** Draws frame `frameNumber` stamped with `floor(timestamp)` into `out` (or a new buffer) and returns it. */
  render(frameNumber: number, timestamp: number, out?: Buffer): Buffer {
    const w = this.#width;
    const h = this.#height;
    const bgr = out ?? Buffer.allocUnsafe(this.#background.length);
    if (bgr.length !== this.#background.length)
      throw new TypeError(`out must have ${this.#background.length} bytes`);
    this.#background.copy(bgr);
    // a white vertical bar sweeping right 8 px per frame, and a dark horizontal bar bouncing up and down
    const barW = Math.max(4, w >> 4);
    const barX = (frameNumber * 8) % (w + barW);
    const x0 = Math.max(0, barX - barW);
    fillRect(bgr, w, x0, 0, Math.min(w, barX) - x0, h, 255, 255, 255);
    const barH = Math.max(4, h >> 5);
    const span = Math.max(1, h - barH);
    const phase = (frameNumber * 6) % (2 * span);
    fillRect(bgr, w, 0, phase < span ? phase : 2 * span - phase, w, barH, 40, 0, 120);
    writePatternStamp(bgr, w, h, { frameNumber, timestamp: Math.floor(timestamp) });
    return bgr;
  }

  /** A `VideoFrame` of frame `frameNumber`; its timestamp is `floor(timestamp)`, as stamped. */
  frame(frameNumber: number, timestamp: number, out?: Buffer): VideoFrame {
    const ts = Math.floor(timestamp);
    return new VideoFrame(
      this.render(frameNumber, ts, out),
      this.#width,
      this.#height,
      ts,
      frameNumber,
    );
  }
}
