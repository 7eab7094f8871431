import assert from 'node:assert/strict';
import { BMP_HEADER_BYTES, bmpFromBgr } from '../../../client/ui/bmp';

describe('bmpFromBgr', () => {
  it('writes a top-down 24-bit header in front of the pixels, unchanged when rows need no padding', () => {
    const pixels = Buffer.from(Array.from({ length: 4 * 2 * 3 }, (_, i) => i));
    const bmp = bmpFromBgr(pixels, 4, 2);
    assert.equal(bmp.toString('latin1', 0, 2), 'BM');
    assert.equal(bmp.readUInt32LE(2), bmp.length);
    assert.equal(bmp.readUInt32LE(10), BMP_HEADER_BYTES);
    assert.equal(bmp.readInt32LE(18), 4);
    assert.equal(bmp.readInt32LE(22), -2, 'negative height: rows top to bottom');
    assert.equal(bmp.readUInt16LE(28), 24);
    assert.equal(bmp.readUInt32LE(30), 0, 'uncompressed');
    assert.deepEqual(bmp.subarray(BMP_HEADER_BYTES), pixels);
  });

  it('pads each row to four bytes', () => {
    // 5 px * 3 = 15 bytes a row, stored as 16
    const pixels = Buffer.alloc(5 * 3 * 3, 0xaa);
    const bmp = bmpFromBgr(pixels, 5, 3);
    assert.equal(bmp.length, BMP_HEADER_BYTES + 16 * 3);
    for (let y = 0; y < 3; y++) {
      const row = bmp.subarray(BMP_HEADER_BYTES + y * 16, BMP_HEADER_BYTES + (y + 1) * 16);
      assert.deepEqual([...row.subarray(0, 15)], Array(15).fill(0xaa));
      assert.equal(row[15], 0);
    }
  });

  it('refuses pixels that do not match the size', () => {
    assert.throws(() => bmpFromBgr(Buffer.alloc(10), 4, 2), TypeError);
  });
});
