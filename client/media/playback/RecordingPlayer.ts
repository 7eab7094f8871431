/**
 * Plays downloaded recording segments (Matroska, H.264 + AAC) through Debian's ffmpeg: one decoder
 * process from the current position, paced at real time (`-re`), giving BGR frames scaled for the
 * window and 48 kHz mono audio for the speaker. Pause stops the decoder and keeps the position;
 * seek restarts it there (or, paused, decodes the one frame at that place).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TypedEmitter } from '../../../common/TypedEmitter';

export interface PlayerFrame {
  /** Packed BGR, `width * height * 3` bytes. */
  bgr: Buffer;
  width: number;
  height: number;
  positionMs: number;
}

export type RecordingPlayerEvents = {
  frame: [frame: PlayerFrame];
  /** 48 kHz mono samples, in order, as they play. */
  audio: [samples: Int16Array];
  /** Playing or paused, or the position jumped. */
  state: [];
  /** Reached the end. */
  ended: [];
  error: [error: Error];
};

export interface RecordingPlayerOptions {
  width?: number;
  height?: number;
  fps?: number;
  ffmpeg?: string;
}

export class RecordingPlayer extends TypedEmitter<RecordingPlayerEvents> {
  readonly lengthMs: number;
  readonly width: number;
  readonly height: number;
  readonly #fps: number;
  readonly #ffmpeg: string;
  readonly #list: string;
  #positionMs = 0;
  #decoder: ChildProcess | null = null;
  #closed = false;

  /** A player over `files` (played one after the other). */
  constructor(files: string[], options: RecordingPlayerOptions = {}) {
    super();
    if (files.length === 0) throw new TypeError('a recording needs at least one file');
    this.width = options.width ?? 640;
    this.height = options.height ?? 360;
    this.#fps = options.fps ?? 15;
    this.#ffmpeg = options.ffmpeg ?? 'ffmpeg';
    this.#list = path.join(os.tmpdir(), `meeting-player-${process.pid}-${Date.now()}.txt`);
    fs.writeFileSync(
      this.#list,
      files.map((f) => `file '${path.resolve(f).replace(/'/g, "'\\''")}'\n`).join(''),
    );
    this.lengthMs = files.reduce((sum, f) => sum + probeMs(f), 0);
  }

  get positionMs(): number {
    return this.#positionMs;
  }
  get playing(): boolean {
    return this.#decoder !== null;
  }

  play(): void {
    if (this.#decoder || this.#closed) return;
    if (this.#positionMs >= this.lengthMs - 1) this.#positionMs = 0;
    this.#start(this.#positionMs, false);
    this.safeEmit('state');
  }

  pause(): void {
    this.#stop();
    this.safeEmit('state');
  }

  /** Jumps to `ms`; keeps playing if it was, else shows the frame there. */
  seek(ms: number): void {
    const wasPlaying = this.playing;
    this.#stop();
    this.#positionMs = Math.max(0, Math.min(this.lengthMs, ms));
    this.#start(this.#positionMs, !wasPlaying);
    this.safeEmit('state');
  }

  close(): void {
    this.#closed = true;
    this.#stop();
    fs.rmSync(this.#list, { force: true });
  }

  #stop(): void {
    const d = this.#decoder;
    this.#decoder = null;
    d?.kill('SIGKILL');
  }

  /** A decoder from `fromMs`; `still`: one frame only, no audio, not paced. */
  #start(fromMs: number, still: boolean): void {
    const args = [
      '-v',
      'error',
      '-nostdin',
      ...(still ? [] : ['-re']),
      '-ss',
      (fromMs / 1000).toFixed(3),
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      this.#list,
      '-map',
      '0:v:0',
      '-vf',
      `scale=${this.width}:${this.height},fps=${this.#fps}`,
      ...(still ? ['-frames:v', '1'] : []),
      '-f',
      'rawvideo',
      '-pix_fmt',
      'bgr24',
      'pipe:1',
      ...(still ? [] : ['-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:3']),
    ];
    const child = spawn(this.#ffmpeg, args, { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
    if (!still) this.#decoder = child;
    const frameBytes = this.width * this.height * 3;
    let pending: Buffer = Buffer.alloc(0);
    let frames = 0;
    (child.stdout as Readable).on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= frameBytes) {
        const bgr = Buffer.from(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
        const positionMs = Math.min(this.lengthMs, fromMs + (frames++ * 1000) / this.#fps);
        if (!still && this.#decoder !== child) return;
        if (!still) this.#positionMs = positionMs;
        this.safeEmit('frame', { bgr, width: this.width, height: this.height, positionMs });
      }
    });
    let odd: Buffer | null = null;
    (child.stdio[3] as Readable | undefined)?.on('data', (chunk: Buffer) => {
      if (this.#decoder !== child) return;
      const data = odd ? Buffer.concat([odd, chunk]) : chunk;
      const even = data.length & ~1;
      odd = even < data.length ? Buffer.from(data.subarray(even)) : null;
      const samples = new Int16Array(even >> 1);
      Buffer.from(samples.buffer).set(data.subarray(0, even));
      this.safeEmit('audio', samples);
    });
    child.once('error', (e) => this.safeEmit('error', e));
    child.once('exit', () => {
      if (still || this.#decoder !== child) return;
      this.#decoder = null;
      this.#positionMs = this.lengthMs;
      this.safeEmit('state');
      this.safeEmit('ended');
    });
  }
}

function probeMs(file: string): number {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  const s = Number(out.trim());
  return Number.isFinite(s) ? Math.round(s * 1000) : 0;
}
