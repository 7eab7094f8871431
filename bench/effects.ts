/**
 * Cost of the face effects on the video send path (run by hand: `node dist/bench/effects.js
 * [--frames 200] [--detect-every 3]`). For each effect, ~200 frames of Megamind.avi go through
 *   capture (VideoCapture.read + resize to 640x480) → FaceEffects.apply → JPEG encode (q70)
 * and the table gives ms per frame (mean and p95) of the effect alone (detection and tracking
 * included, amortised over the frames) and of the whole path, plus the process CPU time per frame
 * (all threads: what has to fit on one core). 15 fps leaves 66.7 ms per frame.
 * A second table compares the cascade's sync and async calls on the same grey images.
 */
import os from 'node:os';
import { FaceEffects, FACE_EFFECTS, type FaceEffect } from '../client/media/effects/FaceEffects';
import { findFaceCascade } from '../client/media/effects/cascade';
import {
  FaceTracker,
  FACE_DETECT_EVERY,
  FACE_DETECT_WIDTH,
} from '../client/media/effects/FaceTracker';
import { VideoFrame } from '../client/media/frames';
import { encodeJpeg } from '../client/media/codec/Jpeg';
import { cv, type Mat } from '../client/media/native/opencv';

const MEGAMIND = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';
const WIDTH = 640;
const HEIGHT = 480;
const JPEG_QUALITY = 70;
const BUDGET_MS = 1000 / 15;
const WARMUP_FRAMES = 10;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? NaN;
}

/** A Megamind capture that starts again at the end, like VideoSource does with files. */
class LoopingCapture {
  #capture = new cv.VideoCapture(MEGAMIND);
  read(): Mat {
    let mat = this.#capture.read();
    if (mat.empty) {
      this.#capture.set(cv.CAP_PROP_POS_FRAMES, 0);
      mat = this.#capture.read();
    }
    return mat;
  }
  release(): void {
    this.#capture.release();
  }
}

interface Row {
  effect: FaceEffect;
  capture: number[];
  effectMs: number[];
  encode: number[];
  total: number[];
  cpuPerFrame: number;
  jpegBytes: number;
  detections: number;
  detectMs: number;
  faces: number;
}

function measure(effect: FaceEffect, frames: number, detectEvery: number): Row {
  const capture = new LoopingCapture();
  const effects = new FaceEffects({ effect, tracker: { detectEvery } });
  const row: Row = {
    effect,
    capture: [],
    effectMs: [],
    encode: [],
    total: [],
    cpuPerFrame: 0,
    jpegBytes: 0,
    detections: 0,
    detectMs: 0,
    faces: 0,
  };
  let cpu0 = process.cpuUsage();
  const statsAtStart = { detections: 0, detectMs: 0 };
  for (let i = 0; i < WARMUP_FRAMES + frames; i++) {
    if (i === WARMUP_FRAMES) {
      cpu0 = process.cpuUsage();
      effects.resetTimings();
      const s = effects.trackerStats;
      statsAtStart.detections = s?.detections ?? 0;
      statsAtStart.detectMs = s?.detectMs ?? 0;
    }
    const t0 = performance.now();
    const mat = capture.read();
    const resized = mat.resize(HEIGHT, WIDTH, 0, 0, cv.INTER_AREA);
    const frame = new VideoFrame(resized.getData(), WIDTH, HEIGHT, i * BUDGET_MS, i);
    resized.release();
    mat.release();
    const t1 = performance.now();
    const out = effects.apply(frame);
    const t2 = performance.now();
    const jpeg = encodeJpeg(out, JPEG_QUALITY);
    const t3 = performance.now();
    if (i < WARMUP_FRAMES) continue;
    row.capture.push(t1 - t0);
    row.effectMs.push(t2 - t1);
    row.encode.push(t3 - t2);
    row.total.push(t3 - t0);
    row.jpegBytes += jpeg.length;
    if (effects.lastFace) row.faces++;
  }
  const cpu = process.cpuUsage(cpu0);
  row.cpuPerFrame = (cpu.user + cpu.system) / 1000 / frames;
  row.jpegBytes /= frames;
  const s = effects.trackerStats;
  row.detections = (s?.detections ?? 0) - statsAtStart.detections;
  row.detectMs = (s?.detectMs ?? 0) - statsAtStart.detectMs;
  if (effects.timings[effect].errors > 0) throw effects.lastError ?? new Error(`${effect} failed`);
  capture.release();
  return row;
}

async function compareSyncAsync(frames: number): Promise<void> {
  const classifier = new cv.CascadeClassifier(findFaceCascade());
  const capture = new LoopingCapture();
  const greys: Mat[] = [];
  const h = Math.round((HEIGHT * FACE_DETECT_WIDTH) / WIDTH);
  for (let i = 0; i < frames; i++) {
    const mat = capture.read();
    greys.push(
      mat
        .resize(HEIGHT, WIDTH, 0, 0, cv.INTER_AREA)
        .resize(h, FACE_DETECT_WIDTH, 0, 0, cv.INTER_LINEAR)
        .cvtColor(cv.COLOR_BGR2GRAY),
    );
  }
  capture.release();
  const min = new cv.Size(FACE_DETECT_WIDTH / 8, FACE_DETECT_WIDTH / 8);
  const sync: number[] = [];
  let cpu0 = process.cpuUsage();
  for (const g of greys) {
    const t0 = performance.now();
    classifier.detectMultiScale(g, 1.15, 3, 0, min);
    sync.push(performance.now() - t0);
  }
  const syncCpu = process.cpuUsage(cpu0);
  const asyncWall: number[] = [];
  const blocked: number[] = [];
  cpu0 = process.cpuUsage();
  for (const g of greys) {
    const t0 = performance.now();
    const pending = classifier.detectMultiScaleAsync(g, 1.15, 3, 0, min);
    blocked.push(performance.now() - t0);
    await pending;
    asyncWall.push(performance.now() - t0);
  }
  const asyncCpu = process.cpuUsage(cpu0);
  const cpuMs = (c: NodeJS.CpuUsage): string =>
    ((c.user + c.system) / 1000 / greys.length).toFixed(2);
  console.log(
    `\nface detection on ${FACE_DETECT_WIDTH}x${h} grey (${greys.length} frames), ms per call`,
  );
  console.log('  call                      wall mean  wall p95  event loop blocked  CPU');
  console.log(
    `  detectMultiScale (sync)   ${mean(sync).toFixed(2).padStart(9)}  ${p95(sync).toFixed(2).padStart(8)}  ${mean(sync).toFixed(2).padStart(18)}  ${cpuMs(syncCpu)}`,
  );
  console.log(
    `  detectMultiScaleAsync     ${mean(asyncWall).toFixed(2).padStart(9)}  ${p95(asyncWall).toFixed(2).padStart(8)}  ${mean(blocked).toFixed(2).padStart(18)}  ${cpuMs(asyncCpu)}`,
  );
}

async function main(): Promise<void> {
  const frames = Math.round(arg('--frames', 200));
  const detectEvery = Math.round(arg('--detect-every', FACE_DETECT_EVERY));
  const t0 = performance.now();
  new FaceTracker();
  const loadMs = performance.now() - t0;
  console.log(
    `face effects on the send path: ${frames} frames of Megamind.avi at ${WIDTH}x${HEIGHT}, JPEG q${JPEG_QUALITY}, detection on every ${detectEvery}. frame at ${FACE_DETECT_WIDTH} px wide`,
  );
  console.log(
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, OpenCV threads ${cv.getNumThreads()}`,
  );
  console.log(
    `cascade ${findFaceCascade()} loaded in ${loadMs.toFixed(0)} ms (once, when a face effect is first chosen)\n`,
  );
  const rows = FACE_EFFECTS.map((e) => measure(e, frames, detectEvery));
  const header = [
    'effect'.padEnd(16),
    'effect mean',
    'effect p95',
    'capture',
    'encode',
    'path mean',
    'path p95',
    'CPU/frame',
    'fits 15 fps',
    'face',
    'detect runs (mean ms)',
    'JPEG KB',
  ];
  console.log(header.join('  '));
  for (const r of rows) {
    const fits = r.cpuPerFrame < BUDGET_MS && mean(r.total) < BUDGET_MS ? 'yes' : 'NO';
    const cells = [
      r.effect.padEnd(16),
      mean(r.effectMs).toFixed(2).padStart(11),
      p95(r.effectMs).toFixed(2).padStart(10),
      mean(r.capture).toFixed(2).padStart(7),
      mean(r.encode).toFixed(2).padStart(6),
      mean(r.total).toFixed(2).padStart(9),
      p95(r.total).toFixed(2).padStart(8),
      r.cpuPerFrame.toFixed(2).padStart(9),
      `${fits} (${((100 * r.cpuPerFrame) / BUDGET_MS).toFixed(0)}%)`.padStart(11),
      `${Math.round((100 * r.faces) / frames)}%`.padStart(4),
      (r.detections > 0
        ? `${r.detections} (${(r.detectMs / r.detections).toFixed(1)})`
        : '-'
      ).padStart(21),
      (r.jpegBytes / 1024).toFixed(1).padStart(7),
    ];
    console.log(cells.join('  '));
  }
  console.log(
    `\nms per 640x480 frame; "effect" includes detection/following amortised; "path" = capture + effect + encode; CPU/frame counts every thread of the process; budget ${BUDGET_MS.toFixed(1)} ms`,
  );
  await compareSyncAsync(Math.min(frames, 90));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
