/**
 * Raw pixels in a form Qt's loaders take. NodeGui 0.57 has no QImage constructor over a pixel
 * buffer; `loadFromData` is its only bulk way in, and an uncompressed BMP is the container Qt reads
 * without decoding: the 54-byte header says "top-down, 24-bit, BGR", which is a VideoFrame's layout.
 */

/** Bytes of the BITMAPFILEHEADER plus BITMAPINFOHEADER in front of the pixels. */
export const BMP_HEADER_BYTES = 54;

/** A top-down 24-bit BMP of `width` x `height` packed BGR pixels (rows padded to 4 bytes). */
export function bmpFromBgr(pixels: Buffer, width: number, height: number, mirror = false): Buffer {
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
  if (mirror) return mirrored(header, pixels, width, height, stride, size);
  if (stride === row) return Buffer.concat([header, pixels], size);
  const out = Buffer.alloc(size);
  header.copy(out);
  for (let y = 0; y < height; y++)
    pixels.copy(out, BMP_HEADER_BYTES + y * stride, y * row, (y + 1) * row);
  return out;
}

/** The same BMP with each row reversed (a mirror image, as a self view is shown). */
function mirrored(
  header: Buffer,
  pixels: Buffer,
  width: number,
  height: number,
  stride: number,
  size: number,
): Buffer {
  const out = Buffer.allocUnsafe(size);
  header.copy(out);
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    const src = y * row;
    let dst = BMP_HEADER_BYTES + y * stride;
    for (let x = row - 3; x >= 0; x -= 3) {
      out[dst] = pixels[src + x] as number;
      out[dst + 1] = pixels[src + x + 1] as number;
      out[dst + 2] = pixels[src + x + 2] as number;
      dst += 3;
    }
    out.fill(0, BMP_HEADER_BYTES + y * stride + row, BMP_HEADER_BYTES + (y + 1) * stride);
  }
  return out;
}
