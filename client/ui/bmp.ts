/**
 * Raw pixels in a form Qt's loaders take. NodeGui 0.57 has no QImage constructor over a pixel
 * buffer; `loadFromData` is its only bulk way in, and an uncompressed BMP is the container Qt reads
 * without decoding: the 54-byte header says "top-down, 24-bit, BGR", which is a VideoFrame's layout.
 */

/** Bytes of the BITMAPFILEHEADER plus BITMAPINFOHEADER in front of the pixels. */
export const BMP_HEADER_BYTES = 54;

/** A top-down 24-bit BMP of `width` x `height` packed BGR pixels (rows padded to 4 bytes). */
export function bmpFromBgr(pixels: Buffer, width: number, height: number): Buffer {
  const row = width * 3;
  if (pixels.length !== row * height) {
    throw new TypeError(`expected ${row * height} bytes of BGR for ${width}x${height}`);
  }
  const stride = (row + 3) & ~3;
  const size = BMP_HEADER_BYTES + stride * height;
  const header = Buffer.alloc(BMP_HEADER_BYTES);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(size, 2);
  header.writeUInt32LE(BMP_HEADER_BYTES, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  // A negative height marks rows stored top to bottom, as they are in the frame.
  header.writeInt32LE(-height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(stride * height, 34);
  if (stride === row) return Buffer.concat([header, pixels], size);
  const out = Buffer.alloc(size);
  header.copy(out);
  for (let y = 0; y < height; y++)
    pixels.copy(out, BMP_HEADER_BYTES + y * stride, y * row, (y + 1) * row);
  return out;
}
