/**
 * A recording's compositor, run in its own process (main.ts): takes the room's media frames as the
 * relay accepted them, and writes the meeting as it looked and sounded onto a fixed timeline:
 * output instant k is `t0 + k / fps` in the server's clock, the same clock as the frames' capture
 * times. A frame is shown from its capture time on, audio is mixed at its capture time, so picture
 * and sound stay in sync whatever the network did to them. The timeline runs RECORDING_DELAY_MS
 * behind real time so that frames in flight make it; later ones are counted and left out.
 * Segments split the timeline at exact multiples of the segment length.
 */
import path from 'node:path';
import { nowMs } from '../../../common/clock';
import { MediaKind, MediaSource } from '../../../common/constants';
import { decodeMediaFrame } from '../../../common/media';
import { fit, layout, type Rect } from './Layout';
import { cv, OpusDecoder, type Mat } from './native';
import {
  segmentFileName,
  type CompositorEvent,
  type MemberCommand,
  type StartCommand,
} from './protocol';
import { SegmentWriter } from './SegmentWriter';

const SAMPLE_RATE = 48_000;
const OPUS_FRAME_SAMPLES = 960;
/** The timeline waits for input that lags behind real time (a slow start, a stall) this long (ms). */
const MAX_LAG_MS = 8_000;
/** Audio kept ahead of the timeline for mixing (samples): frames further ahead are bogus. */
const MIX_SAMPLES = SAMPLE_RATE * 12;
/** A camera or screen that sent nothing for this long is shown as gone (ms). */
const VIDEO_STALE_MS = 2_000;
/** Frames waiting per source at most (more means bogus timestamps: the oldest go). */
const VIDEO_QUEUE_MAX = 64;
/**
 * A member's audio within this of where its previous frame ended is laid end to end (samples):
 * the sender's timer jitter makes no clicks, while a larger shift (a clock correction, a gap) is
 * followed at once so that sound stays on the picture's timeline.
 */
const AUDIO_CONTINUITY = OPUS_FRAME_SAMPLES / 2;
const BACKGROUND = 24;
const PLACEHOLDER = 48;
const LABEL_HEIGHT = 28;

interface Pending {
  ts: number;
  jpeg: Buffer;
}

/** One picture source: a member's camera or screen. */
interface Source {
  memberId: number;
  screen: boolean;
  queue: Pending[];
  /** The frame on show, its capture time, and its picture once decoded (BGR). */
  current: Pending | null;
  picture: { data: Buffer; width: number; height: number } | null;
  /** The picture scaled for the tile it was drawn in last time. */
  scaled: { rect: Rect; data: Buffer } | null;
}

interface Voice {
  decoder: InstanceType<typeof OpusDecoder>;
  /** Sample index (from t0) where its last frame ended. */
  next: number;
}

export class Compositor {
  readonly #start: StartCommand;
  readonly #emit: (e: CompositorEvent) => void;
  readonly #names = new Map<number, string>();
  /** Members in order of arrival (tiles keep that order). */
  readonly #present: number[] = [];
  readonly #sources = new Map<number, Source>();
  readonly #voices = new Map<number, Voice>();
  readonly #mix = new Int32Array(MIX_SAMPLES);
  readonly #labels = new Map<string, { data: Buffer; width: number; height: number }>();
  readonly #tickSamples: number;
  readonly #ticksPerSegment: number;
  readonly #canvas: Buffer;
  /** The next output instant to write. */
  #tick = 0;
  #segment: { seq: number; writer: SegmentWriter; firstTick: number; cpu: NodeJS.CpuUsage } | null =
    null;
  readonly #closing: Array<Promise<void>> = [];
  #late = 0;
  /** Capture time of the newest frame read (server-clock ms). */
  #newest = -Infinity;
  #bad = 0;
  #stopAt: number | null = null;
  #failed = false;

  constructor(start: StartCommand, emit: (e: CompositorEvent) => void) {
    this.#start = start;
    this.#emit = emit;
    this.#tickSamples = Math.round(SAMPLE_RATE / start.fps);
    this.#ticksPerSegment = Math.max(1, Math.round((start.segmentMs * start.fps) / 1000));
    this.#canvas = Buffer.alloc(start.width * start.height * 3);
  }

  /** Server-clock ms of output instant `k`. */
  #timeOf(k: number): number {
    return this.#start.t0 + (k * 1000) / this.#start.fps;
  }

  member(cmd: MemberCommand): void {
    this.#names.set(cmd.memberId, cmd.name.slice(0, 64));
    const at = this.#present.indexOf(cmd.memberId);
    if (cmd.present && at < 0) this.#present.push(cmd.memberId);
    if (!cmd.present && at >= 0) {
      this.#present.splice(at, 1);
      this.#sources.delete(cmd.memberId * 2);
      this.#sources.delete(cmd.memberId * 2 + 1);
      this.#voices.delete(cmd.memberId);
    }
  }

  /** One media frame from the relay (whole frame, sender stamped). */
  media(frame: Buffer): void {
    let decoded;
    try {
      decoded = decodeMediaFrame(frame, frame.length);
    } catch {
      this.#bad++;
      return;
    }
    const { header, payload } = decoded;
    if (!this.#present.includes(header.sender)) return;
    const ts = header.timestamp / 1000;
    // The newest capture time read (bounded by the clock: a sender cannot push it ahead).
    if (ts <= nowMs() && ts > this.#newest) this.#newest = ts;
    if (header.kind === MediaKind.VIDEO) this.#video(header.sender, header.source, ts, payload);
    else if (header.kind === MediaKind.AUDIO) this.#audio(header.sender, ts, payload);
  }

  #video(memberId: number, source: number, ts: number, jpeg: Buffer): void {
    if (source !== MediaSource.CAMERA && source !== MediaSource.SCREEN) return;
    const screen = source === MediaSource.SCREEN;
    if (ts < this.#timeOf(this.#tick) - 1000 / this.#start.fps) {
      this.#late++;
      return;
    }
    const key = memberId * 2 + (screen ? 1 : 0);
    let s = this.#sources.get(key);
    if (!s) {
      s = { memberId, screen, queue: [], current: null, picture: null, scaled: null };
      this.#sources.set(key, s);
    }
    // The payload is a view of the input chunk: keep a copy of its own.
    s.queue.push({ ts, jpeg: Buffer.from(jpeg) });
    if (s.queue.length > VIDEO_QUEUE_MAX) s.queue.shift();
  }

  #audio(memberId: number, ts: number, packet: Buffer): void {
    let v = this.#voices.get(memberId);
    if (!v) {
      v = { decoder: new OpusDecoder(SAMPLE_RATE, 1), next: -Infinity };
      this.#voices.set(memberId, v);
    }
    let pcm: Buffer;
    try {
      pcm = v.decoder.decode(packet);
    } catch {
      this.#bad++;
      return;
    }
    const samples = pcm.length >> 1;
    let at = Math.round((ts - this.#start.t0) * (SAMPLE_RATE / 1000));
    // Timestamps jitter by the sender's timer; frames that follow on are laid end to end.
    if (Math.abs(at - v.next) <= AUDIO_CONTINUITY) at = v.next;
    v.next = at + samples;
    const written = this.#tick * this.#tickSamples;
    for (let i = 0; i < samples; i++) {
      const n = at + i;
      if (n < written) continue;
      if (n >= written + MIX_SAMPLES) {
        this.#late++;
        break;
      }
      this.#mix[n % MIX_SAMPLES] += pcm.readInt16LE(i * 2);
    }
    if (at < written) this.#late++;
  }

  /** Writes every output instant up to `now - delay` (or up to the stop time). */
  pump(now: number): void {
    if (this.#failed) return;
    // Up to `delay` behind real time; while the input lags further (the process starting, or
    // catching up after a stall with frames still unread in the pipe), no further than the newest
    // frame read, but never more than MAX_LAG_MS behind (so silence still moves the timeline).
    const delay = this.#start.delayMs;
    let horizon = Math.min(now - delay, Math.max(this.#newest, now - MAX_LAG_MS));
    if (this.#stopAt !== null) horizon = Math.min(horizon, this.#stopAt);
    while (this.#timeOf(this.#tick) + 1000 / this.#start.fps <= horizon + 1e-6) {
      this.#writeTick();
      if (this.#failed) return;
    }
  }

  /** The stop time is reached on the timeline (everything up to it written). */
  get finished(): boolean {
    return (
      this.#failed ||
      (this.#stopAt !== null && this.#timeOf(this.#tick) + 1000 / this.#start.fps > this.#stopAt)
    );
  }

  stop(at: number): void {
    this.#stopAt = this.#stopAt === null ? at : Math.min(this.#stopAt, at);
  }

  /** Closes the open segment and waits for every segment to be finished. */
  async close(): Promise<void> {
    this.#closeSegment();
    await Promise.all(this.#closing);
    this.#emit({ event: 'stats', late: this.#late, badFrames: this.#bad });
  }

  #writeTick(): void {
    const k = this.#tick;
    const seq = Math.floor(k / this.#ticksPerSegment);
    if (this.#segment && this.#segment.seq !== seq) this.#closeSegment();
    if (!this.#segment) this.#openSegment(seq, k);
    const segment = this.#segment;
    if (!segment) return;
    // The frame on show at the middle of the instant's interval: off by at most half a frame.
    const picture = this.#compose(this.#timeOf(k + 0.5));
    const pcm = this.#takeAudio(k);
    segment.writer.write(picture, pcm);
    this.#tick++;
    if (!segment.writer.healthy) {
      this.#failed = true;
      this.#closeSegment();
    }
  }

  #openSegment(seq: number, firstTick: number): void {
    const name = segmentFileName(seq);
    const writer = new SegmentWriter({
      ffmpeg: this.#start.ffmpeg,
      file: path.join(this.#start.dir, name),
      width: this.#start.width,
      height: this.#start.height,
      fps: this.#start.fps,
      sampleRate: SAMPLE_RATE,
    });
    this.#segment = { seq, writer, firstTick, cpu: process.cpuUsage() };
    this.#emit({
      event: 'segmentOpened',
      seq,
      file: name,
      startedAt: Math.round(this.#timeOf(firstTick)),
    });
  }

  #closeSegment(): void {
    const segment = this.#segment;
    if (!segment) return;
    this.#segment = null;
    const ticks = this.#tick - segment.firstTick;
    const durationMs = Math.round((ticks * 1000) / this.#start.fps);
    const cpu = process.cpuUsage(segment.cpu);
    const seconds = Math.max(durationMs / 1000, 1e-3);
    this.#closing.push(
      segment.writer.close().then((r) =>
        this.#emit({
          event: 'segmentClosed',
          seq: segment.seq,
          file: path.basename(segment.writer.file),
          ok: r.ok && ticks > 0,
          durationMs,
          bytes: r.bytes,
          encoderRtf: r.cpuSeconds === null ? null : r.cpuSeconds / seconds,
          compositorRtf: (cpu.user + cpu.system) / 1e6 / seconds,
          ...(r.error !== undefined ? { error: r.error } : {}),
        }),
      ),
    );
  }

  /** The mixed audio of output instant `k`, clipped to 16 bits; the mix is cleared behind it. */
  #takeAudio(k: number): Buffer {
    const out = Buffer.allocUnsafe(this.#tickSamples * 2);
    const first = k * this.#tickSamples;
    for (let i = 0; i < this.#tickSamples; i++) {
      const at = (first + i) % MIX_SAMPLES;
      const v = this.#mix[at];
      this.#mix[at] = 0;
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, i * 2);
    }
    return out;
  }

  /** The picture at server-clock time `t`: each source's newest frame captured by then. */
  #compose(t: number): Buffer {
    const canvas = this.#canvas;
    canvas.fill(BACKGROUND);
    const { width, height } = this.#start;
    for (const s of this.#sources.values()) {
      while (s.queue.length > 0 && (s.queue[0] as Pending).ts <= t) {
        s.current = s.queue.shift() as Pending;
        s.picture = null;
        s.scaled = null;
      }
    }
    const fresh = (s: Source | undefined): s is Source =>
      !!s && s.current !== null && t - s.current.ts < VIDEO_STALE_MS;
    const screens = this.#present
      .map((id) => this.#sources.get(id * 2 + 1))
      .filter((s): s is Source => fresh(s));
    const plan = layout(this.#present.length, width, height, screens.length > 0);
    if (plan.screen && screens[0]) this.#draw(screens[0], plan.screen);
    this.#present.forEach((id, i) => {
      const rect = plan.tiles[i] as Rect;
      const camera = this.#sources.get(id * 2);
      const labelled = { ...rect, h: Math.max(2, rect.h - LABEL_HEIGHT) };
      if (fresh(camera)) this.#draw(camera, plan.screen ? labelled : rect);
      else fillRect(canvas, width, inset(labelled, 4), PLACEHOLDER);
      this.#label(this.#names.get(id) ?? `#${id}`, rect);
    });
    return canvas;
  }

  /** Draws a source's current frame fitted into `rect` (decoded and scaled once per frame). */
  #draw(s: Source, rect: Rect): void {
    if (!s.current) return;
    if (!s.picture) {
      try {
        const mat = cv.imdecode(s.current.jpeg, cv.IMREAD_COLOR);
        if (mat.empty) throw new TypeError('empty');
        s.picture = { data: mat.getData(), width: mat.cols, height: mat.rows };
      } catch {
        this.#bad++;
        s.current = null;
        return;
      }
    }
    const pic = s.picture;
    const target = fit(rect, pic.width, pic.height);
    if (!s.scaled || !sameRect(s.scaled.rect, target)) {
      let data = pic.data;
      if (target.w !== pic.width || target.h !== pic.height) {
        const mat: Mat = new cv.Mat(pic.data, pic.height, pic.width, cv.CV_8UC3);
        data = mat.resize(target.h, target.w, 0, 0, cv.INTER_AREA).getData();
      }
      s.scaled = { rect: target, data };
    }
    blit(this.#canvas, this.#start.width, s.scaled.data, target);
  }

  /** The member's name at the bottom left of its tile. */
  #label(name: string, rect: Rect): void {
    let label = this.#labels.get(name);
    if (!label) {
      const w = Math.min(rect.w, 16 + 11 * name.length);
      const mat = new cv.Mat(LABEL_HEIGHT - 4, Math.max(8, w), cv.CV_8UC3, [0, 0, 0]);
      mat.putText(
        name,
        new cv.Point2(6, LABEL_HEIGHT - 11),
        cv.FONT_HERSHEY_SIMPLEX,
        0.6,
        new cv.Vec3(255, 255, 255),
        1,
        cv.LINE_AA,
      );
      label = { data: mat.getData(), width: mat.cols, height: mat.rows };
      this.#labels.set(name, label);
    }
    const w = Math.min(label.width, rect.w);
    const h = Math.min(label.height, rect.h);
    if (w === label.width && h === label.height)
      blit(this.#canvas, this.#start.width, label.data, {
        x: rect.x + 2,
        y: rect.y + rect.h - h - 2,
        w,
        h,
      });
  }
}

function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

function inset(r: Rect, by: number): Rect {
  return { x: r.x + by, y: r.y + by, w: Math.max(0, r.w - 2 * by), h: Math.max(0, r.h - 2 * by) };
}

/** Copies a packed BGR picture of r.w×r.h into the canvas at (r.x, r.y). */
function blit(canvas: Buffer, canvasWidth: number, data: Buffer, r: Rect): void {
  const row = r.w * 3;
  for (let y = 0; y < r.h; y++) {
    const to = ((r.y + y) * canvasWidth + r.x) * 3;
    data.copy(canvas, to, y * row, y * row + row);
  }
}

function fillRect(canvas: Buffer, canvasWidth: number, r: Rect, v: number): void {
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * canvasWidth + r.x) * 3;
    canvas.fill(v, from, from + r.w * 3);
  }
}
