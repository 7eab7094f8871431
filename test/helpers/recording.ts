/**
 * Helpers of the recording tests: a bot that sends a test pattern and a 440 Hz tone with a sync
 * signal (the bottom of the picture flashes white while a beep sounds, once a second, both on the
 * same capture clock), and readers of a recorded file (ffprobe, decoded frames and audio).
 */
import { execFile, execFileSync } from 'node:child_process';
import { nowMs } from '../../common/clock';
import {
  AUDIO_FRAME_SAMPLES,
  AUDIO_SAMPLE_RATE,
  MediaFlag,
  MediaKind,
  MediaSource,
} from '../../common/constants';
import { LINK_SPECS } from '../../common/links';
import { encodeMediaFrame } from '../../common/media';
import type { MeetingClient } from '../../client/MeetingClient';
import type { RecordingInfo } from '../../common/protocol';
import { TestPattern } from '../../client/media/capture/TestPattern';
import { encodeJpeg } from '../../client/media/codec/Jpeg';
import { OpusCodec } from '../../client/media/codec/Opus';
import { VideoFrame } from '../../client/media/frames';

/** Rows at the bottom of the pattern that flash white (black otherwise). */
export const FLASH_ROWS = 64;

export interface SyncBotOptions {
  fps?: number;
  /** Beep (and flash) every this many ms; 0: a steady tone and no flash. */
  periodMs?: number;
  beepMs?: number;
  /** Peak of the tone (0..1 of full scale). */
  level?: number;
  frequency?: number;
  /**
   * Encode this many seconds of pictures before starting (a busy test process then only sends):
   * the pattern's embedded time is then the frame's offset from the start, not the wall clock.
   */
  preencodeSeconds?: number;
  /** Send one picture over and over (a sender whose video nobody checks). */
  still?: boolean;
}

/** Sends paced video and audio on a logged-in client's media links. */
export class SyncBot {
  readonly #client: MeetingClient;
  readonly #fps: number;
  readonly #periodMs: number;
  readonly #beepMs: number;
  readonly #level: number;
  readonly #frequency: number;
  readonly #pattern = new TestPattern();
  readonly #opus = new OpusCodec();
  #timer: NodeJS.Timeout | null = null;
  #start = 0;
  #frames = 0;
  #audioFrames = 0;
  readonly #preencoded: Buffer[] = [];
  readonly #preencodeSeconds: number;
  readonly #still: boolean;

  constructor(client: MeetingClient, options: SyncBotOptions = {}) {
    this.#client = client;
    this.#fps = options.fps ?? 15;
    this.#periodMs = options.periodMs ?? 1000;
    this.#beepMs = options.beepMs ?? 200;
    this.#level = options.level ?? 0.3;
    this.#frequency = options.frequency ?? 440;
    this.#preencodeSeconds = options.preencodeSeconds ?? 0;
    this.#still = options.still ?? false;
  }

  get framesSent(): number {
    return this.#frames;
  }

  start(): void {
    const count = this.#still ? 1 : Math.ceil(this.#preencodeSeconds * this.#fps);
    for (let k = this.#preencoded.length; k < count; k++)
      this.#preencoded.push(this.#picture(k, (k * 1000) / this.#fps));
    this.#start = nowMs();
    this.#timer = setInterval(() => this.#pump(), 5);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #beeping(t: number): boolean {
    if (this.#periodMs === 0) return true;
    return (t - this.#start) % this.#periodMs < this.#beepMs;
  }

  /** Picture `k`, `offset` ms after the start: the pattern, flashing at each period's start. */
  #picture(k: number, offset: number): Buffer {
    const bgr = this.#pattern.render(k, offset);
    if (this.#periodMs > 0) {
      const flash = offset % this.#periodMs < 1000 / this.#fps - 1e-6;
      const w = this.#pattern.width;
      const h = this.#pattern.height;
      bgr.fill(flash ? 255 : 0, (h - FLASH_ROWS) * w * 3, h * w * 3);
    }
    return encodeJpeg(
      new VideoFrame(bgr, this.#pattern.width, this.#pattern.height, offset, k),
      80,
    );
  }

  /** Sends every frame whose (ideal) capture time has come. */
  #pump(): void {
    const now = nowMs();
    const clock = this.#client.clock;
    while (this.#start + (this.#frames * 1000) / this.#fps <= now) {
      const k = this.#frames++;
      const t = this.#start + (k * 1000) / this.#fps;
      const jpeg =
        (this.#still ? this.#preencoded[0] : this.#preencoded[k]) ??
        this.#picture(k, t - this.#start);
      this.#client.transport.send(
        'video',
        encodeMediaFrame(
          {
            kind: MediaKind.VIDEO,
            source: MediaSource.CAMERA,
            flags: MediaFlag.KEYFRAME,
            sender: 0,
            sequence: k,
            timestamp: clock.toServer(t) * 1000,
          },
          jpeg,
          LINK_SPECS.video.maxFrameSize,
        ),
      );
    }
    const frameMs = (AUDIO_FRAME_SAMPLES * 1000) / AUDIO_SAMPLE_RATE;
    while (this.#start + this.#audioFrames * frameMs <= now) {
      const m = this.#audioFrames++;
      const pcm = new Int16Array(AUDIO_FRAME_SAMPLES);
      const amplitude = this.#level * 32767;
      for (let i = 0; i < pcm.length; i++) {
        const n = m * AUDIO_FRAME_SAMPLES + i;
        const t = this.#start + (n * 1000) / AUDIO_SAMPLE_RATE;
        if (this.#beeping(t))
          pcm[i] = Math.round(
            amplitude * Math.sin((2 * Math.PI * this.#frequency * n) / AUDIO_SAMPLE_RATE),
          );
      }
      this.#client.transport.send(
        'audio',
        encodeMediaFrame(
          {
            kind: MediaKind.AUDIO,
            source: MediaSource.MICROPHONE,
            flags: 0,
            sender: 0,
            sequence: m,
            timestamp: clock.toServer(this.#start + m * frameMs) * 1000,
          },
          this.#opus.encode(pcm),
          LINK_SPECS.audio.maxFrameSize,
        ),
      );
    }
  }
}

/** The recording once its files are finished (a stop may reply before, on a busy host). */
export async function finished(
  client: MeetingClient,
  meetingId: string,
  id: number,
  ms = 30_000,
): Promise<RecordingInfo> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { recordings } = await client.request('listRecordings', { meetingId });
    const found = recordings.find((r) => r.id === id);
    if (found && found.state !== 'recording') return found;
    if (Date.now() > deadline)
      throw new Error(`recording ${id} still being written after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Probe {
  durationMs: number;
  streams: Array<{ codec_type: string; codec_name: string }>;
}

/** ffprobe's view of a file: its duration and streams; rejects when it is not playable. */
export function ffprobe(file: string): Promise<Probe> {
  return new Promise((resolve, reject) =>
    execFile(
      'ffprobe',
      [
        '-v',
        'error',
        '-show_entries',
        'format=duration:stream=codec_type,codec_name',
        '-of',
        'json',
        file,
      ],
      (error, stdout) => {
        if (error) return reject(error);
        const json = JSON.parse(stdout) as {
          format: { duration: string };
          streams: Probe['streams'];
        };
        resolve({ durationMs: Number(json.format.duration) * 1000, streams: json.streams });
      },
    ),
  );
}

/** Every frame of a file's video as packed BGR of `width`×`height`. */
export function decodeFrames(file: string, width: number, height: number): Buffer[] {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'],
    { maxBuffer: 4 * 1024 * 1024 * 1024 },
  );
  const size = width * height * 3;
  const frames: Buffer[] = [];
  for (let at = 0; at + size <= raw.length; at += size) frames.push(raw.subarray(at, at + size));
  return frames;
}

/** A file's audio as 48 kHz mono 16-bit samples. */
export function decodeAudio(file: string): Int16Array {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', '48000', '-'],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1);
}

/** The region of a BGR picture as a picture of its own. */
export function crop(
  bgr: Buffer,
  width: number,
  r: { x: number; y: number; w: number; h: number },
): Buffer {
  const out = Buffer.alloc(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++)
    bgr.copy(out, y * r.w * 3, ((r.y + y) * width + r.x) * 3, ((r.y + y) * width + r.x + r.w) * 3);
  return out;
}

/** Mean of every byte of a picture (0..255). */
export function meanLevel(bgr: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bgr.length; i++) sum += bgr[i] as number;
  return sum / Math.max(1, bgr.length);
}

/** Times (ms) where the RMS over 5 ms windows rises above `threshold` after 100 ms below. */
export function onsets(samples: Int16Array, threshold: number, rate = 48_000): number[] {
  const win = Math.round(rate / 200);
  const out: number[] = [];
  let quiet = 0;
  for (let at = 0; at + win <= samples.length; at += win) {
    let sum = 0;
    for (let i = at; i < at + win; i++) sum += (samples[i] as number) ** 2;
    const rms = Math.sqrt(sum / win);
    if (rms > threshold) {
      if (quiet >= 20) {
        // Refine to the first sample over the threshold inside the window.
        let first = at;
        while (first < at + win && Math.abs(samples[first] as number) < threshold) first++;
        out.push((first * 1000) / rate);
      }
      quiet = 0;
    } else quiet++;
  }
  return out;
}
