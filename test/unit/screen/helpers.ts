/**
 * Helpers of the screen-capture tests: known pictures painted on an X display's root window
 * (ImageMagick's `display -window root`, `xsetroot -solid`), pixel sampling, private Xvfb servers
 * (other depths, a server to kill) and the sockets/shared memory a process holds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cv } from '../../../client/media/native/opencv';

/** An RGB colour. */
export type Rgb = readonly [r: number, g: number, b: number];

/** Colours of the four quadrants, top-left, top-right, bottom-left, bottom-right. */
export type Quadrants = readonly [Rgb, Rgb, Rgb, Rgb];

export const RED: Rgb = [255, 0, 0];
export const GREEN: Rgb = [0, 255, 0];
export const BLUE: Rgb = [0, 0, 255];
export const YELLOW: Rgb = [255, 255, 0];
export const MAGENTA: Rgb = [255, 0, 255];
export const CYAN: Rgb = [0, 255, 255];
export const WHITE: Rgb = [255, 255, 255];
export const GREY: Rgb = [128, 128, 128];

/** The first pattern and a different one to switch to. */
export const PATTERN_A: Quadrants = [RED, GREEN, BLUE, YELLOW];
export const PATTERN_B: Quadrants = [CYAN, MAGENTA, WHITE, GREY];

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes a PNG of `width` x `height` with four coloured quadrants. */
export function writeQuadrantsPng(
  file: string,
  width: number,
  height: number,
  colours: Quadrants,
): void {
  const mat = new cv.Mat(height, width, cv.CV_8UC3, [0, 0, 0]);
  const halfW = Math.floor(width / 2);
  const halfH = Math.floor(height / 2);
  const rects = [
    new cv.Rect(0, 0, halfW, halfH),
    new cv.Rect(halfW, 0, width - halfW, halfH),
    new cv.Rect(0, halfH, halfW, height - halfH),
    new cv.Rect(halfW, halfH, width - halfW, height - halfH),
  ];
  rects.forEach((rect, i) => {
    const [r, g, b] = colours[i];
    mat.drawRectangle(rect, new cv.Vec3(b, g, r), -1);
  });
  cv.imwrite(file, mat);
  mat.release();
}

/** A temporary folder for pattern files, removed by `cleanup`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-screen-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Sets the root window's background of `display` to the picture in `file` (ImageMagick keeps the
 * pixmap after it exits). Its exit status is unreliable (1 on success here), so callers check the
 * screen itself.
 */
export function paintRoot(display: string, file: string): void {
  const result = spawnSync('display', ['-window', 'root', file], {
    env: { ...process.env, DISPLAY: display },
    timeout: 20_000,
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`ImageMagick display failed: ${result.error.message}`);
}

/** Paints the root window of `display` one flat colour (`xsetroot -solid`). */
export function paintRootSolid(display: string, [r, g, b]: Rgb): void {
  const hex = `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const result = spawnSync('xsetroot', ['-solid', hex], {
    env: { ...process.env, DISPLAY: display },
    timeout: 20_000,
    encoding: 'utf8',
  });
  if (result.error || result.status !== 0)
    throw new Error(`xsetroot failed: ${result.error?.message ?? result.stderr}`);
}

/** Mean colour (RGB) of a `size` x `size` patch centred on (cx, cy) of packed BGR(A) pixels. */
export function meanRgb(
  data: Buffer,
  width: number,
  channels: 3 | 4,
  cx: number,
  cy: number,
  size = 8,
): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = cy - size / 2; y < cy + size / 2; y++) {
    for (let x = cx - size / 2; x < cx + size / 2; x++) {
      const i = (y * width + x) * channels;
      sum[0] += data[i + 2];
      sum[1] += data[i + 1];
      sum[2] += data[i];
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** The mean colours at the centres of the four quadrants of a packed BGR(A) picture. */
export function quadrantColours(
  data: Buffer,
  width: number,
  height: number,
  channels: 3 | 4,
): [Rgb, Rgb, Rgb, Rgb] {
  const xs = [Math.floor(width / 4), Math.floor((3 * width) / 4)];
  const ys = [Math.floor(height / 4), Math.floor((3 * height) / 4)];
  return [
    meanRgb(data, width, channels, xs[0], ys[0]),
    meanRgb(data, width, channels, xs[1], ys[0]),
    meanRgb(data, width, channels, xs[0], ys[1]),
    meanRgb(data, width, channels, xs[1], ys[1]),
  ];
}

/** Largest channel difference between two colours. */
export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}

/** True when every quadrant is within `tolerance` of the expected colour. */
export function showsQuadrants(
  data: Buffer,
  width: number,
  height: number,
  channels: 3 | 4,
  expected: Quadrants,
  tolerance = 6,
): boolean {
  return quadrantColours(data, width, height, channels).every(
    (c, i) => colourDistance(c, expected[i]) <= tolerance,
  );
}

/** Describes the quadrant colours for assertion messages. */
export function describeQuadrants(
  data: Buffer,
  width: number,
  height: number,
  channels: 3 | 4,
): string {
  return quadrantColours(data, width, height, channels)
    .map((c) => `(${c.map((v) => Math.round(v)).join(',')})`)
    .join(' ');
}

/** A private Xvfb server of this test process. */
export interface PrivateXvfb {
  /** Its display name, `:N`. */
  display: string;
  /** Kills the server and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts a private Xvfb with one screen of `width` x `height` x `depth` (display numbers 140..199). */
export async function startXvfb(
  width: number,
  height: number,
  depth: number,
): Promise<PrivateXvfb> {
  for (let n = 140; n < 200; n++) {
    if (fs.existsSync(`/tmp/.X${n}-lock`) || fs.existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    // -noreset: the background painted by a short-lived client stays when it disconnects
    const child: ChildProcess = spawn(
      'Xvfb',
      [`:${n}`, '-screen', '0', `${width}x${height}x${depth}`, '-nolisten', 'tcp', '-noreset'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if (fs.existsSync(`/tmp/.X11-unix/X${n}`)) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        return {
          display: `:${n}`,
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill();
              await exited;
            }
          },
        };
      }
      if (child.exitCode !== null) break;
    }
    child.kill();
  }
  throw new Error('could not start a private Xvfb');
}

/** Inodes of the sockets this process has open. */
export function openSockets(): Set<string> {
  const out = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith('socket:')) out.add(target);
    } catch {
      // the fd closed meanwhile
    }
  }
  return out;
}

/** System V shared memory segments this process has mapped (MIT-SHM uses them). */
export function sysvMappings(): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    // e.g. "7f..-7f.. rw-s 00000000 00:01 32789   /SYSV00000000 (deleted)": the inode is the shmid
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 6 && fields[5].startsWith('/SYSV')) out.add(`${fields[0]} ${fields[4]}`);
  }
  return out;
}

/** Members of `after` not in `before`. */
export function added<T>(before: Set<T>, after: Set<T>): T[] {
  return [...after].filter((x) => !before.has(x));
}
