/**
 * Real faces for the effects tests, from Debian's opencv-doc sample data: messi5.jpg and the frames
 * of Megamind.avi, both resized to 640x480 BGR. A gzipped copy is unpacked into a temp folder.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { VideoFrame } from '../../../client/media/frames';
import { cv } from '../../../client/media/native/opencv';
import type { FaceRect } from '../../../client/media/effects/regions';

export const DATA_DIR = '/usr/share/doc/opencv-doc/examples/data';
export const WIDTH = 640;
export const HEIGHT = 480;
/** Frame interval of the test streams (15 fps). */
export const FRAME_MS = 1000 / 15;

/** Where Messi's face is in messi5.jpg stretched to 640x480 (found by hand, checked by eye). */
export const MESSI_FACE: FaceRect = { x: 262, y: 132, width: 48, height: 48 };

const unpacked = new Map<string, string>();

/** Path of a sample file, unpacking `name.gz` into a temp folder when only that is installed. */
export function sampleFile(name: string): string {
  const plain = path.join(DATA_DIR, name);
  if (fs.existsSync(plain)) return plain;
  const gz = `${plain}.gz`;
  assert.ok(
    fs.existsSync(gz),
    `${plain} is missing: install Debian's opencv-doc package (its sample data)`,
  );
  const known = unpacked.get(name);
  if (known) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-effects-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, zlib.gunzipSync(fs.readFileSync(gz)));
  unpacked.set(name, file);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

/** messi5.jpg resized to 640x480, as a frame. */
export function messiFrame(): VideoFrame {
  const mat = cv.imread(sampleFile('messi5.jpg')).resize(HEIGHT, WIDTH, 0, 0, cv.INTER_AREA);
  return new VideoFrame(mat.getData(), WIDTH, HEIGHT, 0, 0);
}

let megamind: Buffer[] | null = null;

/** Every frame of Megamind.avi resized to 640x480 (BGR bytes), read once per process. */
export function megamindPixels(): readonly Buffer[] {
  if (megamind) return megamind;
  const capture = new cv.VideoCapture(sampleFile('Megamind.avi'));
  const frames: Buffer[] = [];
  try {
    for (;;) {
      const mat = capture.read();
      if (mat.empty) break;
      const resized = mat.resize(HEIGHT, WIDTH, 0, 0, cv.INTER_AREA);
      frames.push(resized.getData());
      resized.release();
      mat.release();
    }
  } finally {
    capture.release();
  }
  assert.ok(frames.length > 200, `Megamind.avi gave only ${frames.length} frames`);
  megamind = frames;
  return frames;
}

/** Frame `i` of Megamind.avi as a fresh `VideoFrame` (own copy of the pixels, 15 fps timestamps). */
export function megamindFrame(i: number): VideoFrame {
  const pixels = megamindPixels()[i];
  assert.ok(pixels, `no Megamind frame ${i}`);
  return new VideoFrame(Buffer.from(pixels), WIDTH, HEIGHT, i * FRAME_MS, i);
}

/** Mean absolute difference of two BGR frames over rectangle `r` (per byte). */
export function regionDiff(a: Buffer, b: Buffer, r: FaceRect, width = WIDTH): number {
  let sum = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const p = (y * width + x) * 3;
      sum += Math.abs(a[p] - b[p]) + Math.abs(a[p + 1] - b[p + 1]) + Math.abs(a[p + 2] - b[p + 2]);
    }
  }
  return sum / (r.width * r.height * 3);
}

/** Standard deviation of the grey level over `r` (how much texture a blur could remove). */
export function regionTexture(data: Buffer, r: FaceRect, width = WIDTH): number {
  let sum = 0;
  let sq = 0;
  const n = r.width * r.height;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const p = (y * width + x) * 3;
      const g = (data[p] + data[p + 1] + data[p + 2]) / 3;
      sum += g;
      sq += g * g;
    }
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sq / n - mean * mean));
}

/** The central part of a face rectangle (a fraction `f` of each side). */
export function core(face: FaceRect, f = 0.6): FaceRect {
  const w = Math.round(face.width * f);
  const h = Math.round(face.height * f);
  return {
    x: Math.round(face.x + (face.width - w) / 2),
    y: Math.round(face.y + (face.height - h) / 2),
    width: w,
    height: h,
  };
}

function overlaps(a: FaceRect, b: FaceRect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * A `size` x `size` box far from the person: outside the face grown by one face size on every side
 * and outside a band 3.5 faces wide below it down to the bottom edge (the body), the most textured such box so
 * that a blur visibly changes it. Fails the test when the picture has no such place.
 */
export function farRegion(data: Buffer, face: FaceRect, size = 64): FaceRect {
  const person: FaceRect[] = [
    {
      x: face.x - face.width,
      y: face.y - face.height,
      width: face.width * 3,
      height: face.height * 3,
    },
    {
      x: Math.round(face.x - 1.25 * face.width),
      y: face.y + face.height,
      width: Math.round(face.width * 3.5),
      height: HEIGHT,
    },
  ];
  let best: FaceRect | null = null;
  let bestTexture = -1;
  for (let y = 0; y + size <= HEIGHT; y += 16) {
    for (let x = 0; x + size <= WIDTH; x += 16) {
      const box = { x, y, width: size, height: size };
      if (person.some((p) => overlaps(p, box))) continue;
      const t = regionTexture(data, box);
      if (t > bestTexture) {
        best = box;
        bestTexture = t;
      }
    }
  }
  assert.ok(best, `no region far from the face ${JSON.stringify(face)}`);
  return best;
}

/** Mean absolute difference between horizontally adjacent bytes over `r`: fine detail, which smoothing lowers. */
export function roughness(data: Buffer, r: FaceRect, width = WIDTH): number {
  let sum = 0;
  let n = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let p = (y * width + r.x) * 3, end = (y * width + r.x + r.width - 1) * 3; p < end; p++) {
      sum += Math.abs(data[p] - data[p + 3]);
      n++;
    }
  }
  return sum / n;
}
