/** Small helpers shared by the media unit tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ToneGenerator } from '../../../client/media/capture/ToneGenerator';

/** A fresh temporary directory, removed by the returned cleanup. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `meeting-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `count` samples of a sine at `frequency` Hz and `levelDbfs` peak, 48 kHz. */
export function sine(
  frequency: number,
  count: number,
  levelDbfs = -20,
  sampleRate = 48_000,
): Int16Array {
  return new ToneGenerator({ frequency, levelDbfs, sampleRate }).next(count);
}

/** Concatenates Int16 arrays. */
export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Mean and maximum of a list of numbers. */
export function stats(values: readonly number[]): { mean: number; max: number } {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}
