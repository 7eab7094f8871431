/**
 * One segment file: a Debian `ffmpeg` process fed raw composed frames (BGR, stdin) and mixed audio
 * (s16le mono, fd 3) in lockstep, encoding H.264 and AAC into Matroska. Matroska is written as it
 * goes (clusters of about a second), so even a segment whose process is killed plays up to its
 * last cluster; a segment closed normally is a whole file with its index.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Writable } from 'node:stream';

export interface SegmentWriterOptions {
  ffmpeg: string;
  file: string;
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
}

export interface SegmentResult {
  ok: boolean;
  bytes: number;
  /** ffmpeg's user+system CPU seconds (from -benchmark), or null when it did not say. */
  cpuSeconds: number | null;
  error?: string;
}

/** Bytes of input waiting for ffmpeg above which the encoder is too slow to go on with. */
const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;

export class SegmentWriter {
  readonly file: string;
  readonly #child: ChildProcess;
  readonly #video: Writable;
  readonly #audio: Writable;
  readonly #exited: Promise<number | null>;
  #stderr = '';
  #error: string | undefined;

  constructor(options: SegmentWriterOptions) {
    this.file = options.file;
    const { width, height, fps, sampleRate } = options;
    this.#child = spawn(
      options.ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        // info: the -benchmark line (CPU time) is printed at that level; -nostats keeps it short.
        '-loglevel',
        'info',
        '-nostats',
        '-benchmark',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'bgr24',
        '-s',
        `${width}x${height}`,
        '-framerate',
        String(fps),
        '-thread_queue_size',
        '64',
        '-i',
        'pipe:0',
        '-f',
        's16le',
        '-ar',
        String(sampleRate),
        '-ac',
        '1',
        '-thread_queue_size',
        '256',
        '-i',
        'pipe:3',
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'zerolatency',
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
        '-g',
        String(fps * 2),
        '-threads',
        '1',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-cluster_time_limit',
        '1000',
        '-f',
        'matroska',
        '-y',
        options.file,
      ],
      { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] },
    );
    this.#video = this.#child.stdin as Writable;
    this.#audio = this.#child.stdio[3] as Writable;
    for (const s of [this.#video, this.#audio])
      s.on('error', (e: Error) => (this.#error ??= `ffmpeg input: ${e.message}`));
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (d: string) => {
      // Keep the tail only: the benchmark line comes last.
      this.#stderr = (this.#stderr + d).slice(-4096);
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('error', (e) => {
        this.#error ??= `ffmpeg: ${e.message}`;
        resolve(null);
      });
      this.#child.once('exit', (code) => resolve(code));
    });
  }

  /** Bytes written but not yet taken by ffmpeg. */
  get backlog(): number {
    return this.#video.writableLength + this.#audio.writableLength;
  }

  /** False when the segment cannot go on (ffmpeg failed or cannot keep up). */
  get healthy(): boolean {
    return this.#error === undefined && this.backlog < MAX_BACKLOG_BYTES;
  }

  /** One frame and the audio that lasts as long. */
  write(bgr: Buffer, pcm: Buffer): void {
    if (this.#error !== undefined) return;
    this.#video.write(bgr);
    this.#audio.write(pcm);
  }

  /** Ends the inputs and waits for ffmpeg to finish the file. */
  async close(): Promise<SegmentResult> {
    this.#video.end();
    this.#audio.end();
    const code = await this.#exited;
    let bytes = 0;
    try {
      bytes = fs.statSync(this.file).size;
    } catch {
      // no file: reported as failed below
    }
    const bench = /utime=([\d.]+)s\s+stime=([\d.]+)s/.exec(this.#stderr);
    const ok = code === 0 && bytes > 0 && this.#error === undefined;
    return {
      ok,
      bytes,
      cpuSeconds: bench ? Number(bench[1]) + Number(bench[2]) : null,
      ...(ok
        ? {}
        : {
            error:
              this.#error ??
              `ffmpeg exited with ${String(code)}: ${this.#stderr.trim().slice(-300)}`,
          }),
    };
  }

  /** Stops ffmpeg at once (the compositor is going away). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}
