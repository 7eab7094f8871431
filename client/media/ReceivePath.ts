/**
 * The receive half of a MediaSession, reading straight through:
 *   media transport → stale-frame drop (video) or a jitter buffer per speaker (audio) → decode
 *   (Opus; received JPEGs go on encoded, see `receivedPicture`) → mix → play (AudioSink), with
 *   active-speaker detection and a picture per received video frame for renderers.
 * Capture timestamps on the wire are server-clock microseconds; ClockSync makes them local.
 */
import { nowMs } from '../../common/clock';
import {
  AUDIO_FRAME_MS,
  AUDIO_MAX_AGE_MS,
  MediaFlag,
  MediaKind,
  VIDEO_MAX_AGE_MS,
} from '../../common/constants';
import { LINK_SPECS, type MediaLinkKind } from '../../common/links';
import { decodeMediaFrame } from '../../common/media';
import type { ClockSync } from '../ClockSync';
import type { MediaTransport } from '../MediaTransport';
import { rmsDbfs } from './analysis';
import { Pacer } from './capture/Pacer';
import { receivedPicture } from './codec/Jpeg';
import { OpusCodec } from './codec/Opus';
import type { EncodedPicture } from './frames';
import { ActiveSpeaker } from './playout/ActiveSpeaker';
import { AudioSink, type AudioSinkSpec } from './playout/AudioSink';
import { JitterBuffer } from './playout/JitterBuffer';
import { Mixer } from './playout/Mixer';

export interface ReceivePathOptions {
  /** Speaker: a PortAudio device id (-1 default), a WAV file to record into, or 'none'. */
  speaker?: AudioSinkSpec | 'none';
  /** Received video older than this is dropped (ms). */
  maxVideoAgeMs?: number;
}

/** One received picture of a member's camera (source 0) or screen (source 1). */
export interface RemoteVideoFrame {
  memberId: number;
  source: number;
  sequence: number;
  /** The JPEG as received. */
  jpeg: Buffer;
  /** What a renderer paints: the media layer's choice of form for this frame. */
  picture: EncodedPicture;
  /** Capture time on the local clock (ms). */
  capturedAt: number;
  /** Age when it arrived (ms). */
  ageMs: number;
}

/** Where the receive path reports what it produced. */
export interface ReceivePathHooks {
  video(frame: RemoteVideoFrame): void;
  /** The mixed audio of one 20 ms tick, as played. */
  playout(samples: Int16Array): void;
  activeSpeaker(memberId: number | null): void;
  error(error: Error): void;
}

/** What the receive path saw and did. */
export interface ReceiveStats {
  received: { audio: number; video: number };
  /** Received video frames dropped as older than maxVideoAgeMs. */
  videoDropped: number;
  /** Audio frames late or lost in the jitter buffers, or older than AUDIO_MAX_AGE_MS on arrival. */
  audioDropped: number;
  concealed: number;
  /** Median video age at arrival and audio capture-to-playout (ms), null before any sample. */
  videoLatencyMs: number | null;
  audioLatencyMs: number | null;
  /** 99th percentiles of the same (ms). */
  videoLatencyP99Ms: number | null;
  audioLatencyP99Ms: number | null;
  /** Deepest jitter buffer (ms). */
  jitterDepthMs: number;
  activeSpeaker: number | null;
}

interface Speaker {
  jitter: JitterBuffer<Buffer>;
  opus: OpusCodec;
  level: number;
  /** Capture times (local ms) by sequence number modulo the ring size, for latency. */
  captured: Float64Array;
}

const CAPTURE_RING = 1024;

/** Keeps the last `size` samples and answers percentiles of them. */
class Window {
  readonly #values: number[] = [];
  constructor(readonly size = 1000) {}
  /** Adds a sample, forgetting the oldest beyond `size`. */
  add(v: number): void {
    this.#values.push(v);
    if (this.#values.length > this.size) this.#values.shift();
  }
  /** The `p`-th percentile of the samples kept, or null before any. */
  percentile(p: number): number | null {
    if (this.#values.length === 0) return null;
    const sorted = [...this.#values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
  }
}

export class ReceivePath {
  readonly #transport: MediaTransport;
  readonly #clock: ClockSync;
  #options: ReceivePathOptions;
  readonly #hooks: ReceivePathHooks;
  readonly #mixer = new Mixer();
  readonly #activeSpeaker = new ActiveSpeaker();
  readonly #speakers = new Map<number, Speaker>();
  readonly #playout: Pacer;
  readonly #videoAge = new Window();
  readonly #audioLatency = new Window();
  readonly #counts = { audio: 0, video: 0, videoDropped: 0, audioStale: 0 };
  #sink: AudioSink | null = null;
  /** Short local sounds (join/leave cues) mixed into the next ticks, one 20 ms frame each. */
  readonly #cue: Int16Array[] = [];
  #running = false;
  readonly #onFrame = (frame: Buffer, kind: MediaLinkKind): void => this.#receive(frame, kind);

  constructor(
    transport: MediaTransport,
    clock: ClockSync,
    options: ReceivePathOptions,
    hooks: ReceivePathHooks,
  ) {
    this.#transport = transport;
    this.#clock = clock;
    this.#options = options;
    this.#hooks = hooks;
    this.#playout = new Pacer(AUDIO_FRAME_MS, () => this.#tick());
    this.#activeSpeaker.on('activeSpeaker', (id) => hooks.activeSpeaker(id));
  }

  /** Opens playback and starts receiving. */
  start(): void {
    this.#transport.on('frame', this.#onFrame);
    this.#running = true;
    this.#openSink();
    this.#playout.start();
  }

  #openSink(): void {
    const speaker = this.#options.speaker ?? 'none';
    if (speaker === 'none') return;
    this.#sink = AudioSink.open(speaker);
    this.#sink.on('error', (e) => this.#hooks.error(e));
  }

  /** Plays through another speaker from now on (the current one is closed). */
  async switchSpeaker(speaker: AudioSinkSpec | 'none'): Promise<void> {
    if (speaker === (this.#options.speaker ?? 'none')) return;
    this.#options = { ...this.#options, speaker };
    const old = this.#sink;
    this.#sink = null;
    await old?.close();
    if (this.#running) this.#openSink();
  }

  /** Mixes a short local sound (20 ms frames) into what is played next; bounded to one second. */
  playCue(frames: readonly Int16Array[]): void {
    if (!this.#sink) return;
    for (const f of frames) if (this.#cue.length < 1000 / AUDIO_FRAME_MS) this.#cue.push(f);
  }

  /** Stops receiving and closes playback. */
  async stop(): Promise<void> {
    this.#transport.off('frame', this.#onFrame);
    this.#running = false;
    this.#cue.length = 0;
    this.#playout.stop();
    await this.#sink?.close();
    this.#sink = null;
  }

  /** Drops what is kept for a member who left (not scanned for on every tick). */
  forget(memberId: number): void {
    this.#speakers.delete(memberId);
    this.#activeSpeaker.remove(memberId);
  }

  /** Counters and latencies of what was received. */
  stats(): ReceiveStats {
    let audioDropped = this.#counts.audioStale;
    let concealed = 0;
    let depth = 0;
    for (const s of this.#speakers.values()) {
      const c = s.jitter.counters;
      audioDropped += c.late + c.lost;
      concealed += c.concealed;
      depth = Math.max(depth, s.jitter.depthMs);
    }
    return {
      received: { audio: this.#counts.audio, video: this.#counts.video },
      videoDropped: this.#counts.videoDropped,
      audioDropped,
      concealed,
      videoLatencyMs: this.#videoAge.percentile(50),
      audioLatencyMs: this.#audioLatency.percentile(50),
      videoLatencyP99Ms: this.#videoAge.percentile(99),
      audioLatencyP99Ms: this.#audioLatency.percentile(99),
      jitterDepthMs: depth,
      activeSpeaker: this.#activeSpeaker.current,
    };
  }

  #receive(bytes: Buffer, kind: MediaLinkKind): void {
    let frame;
    try {
      frame = decodeMediaFrame(bytes, LINK_SPECS[kind].maxFrameSize);
    } catch (error) {
      this.#hooks.error(error as Error);
      return;
    }
    const { header, payload } = frame;
    const capturedAt = this.#clock.toLocal(header.timestamp / 1000);
    const now = nowMs();
    if (header.kind === MediaKind.VIDEO) {
      this.#counts.video++;
      const ageMs = now - capturedAt;
      if (ageMs > (this.#options.maxVideoAgeMs ?? VIDEO_MAX_AGE_MS)) {
        this.#counts.videoDropped++;
        return;
      }
      this.#videoAge.add(ageMs);
      this.#hooks.video({
        memberId: header.sender,
        source: header.source,
        sequence: header.sequence,
        jpeg: payload,
        picture: receivedPicture(payload),
        capturedAt,
        ageMs,
      });
      return;
    }
    this.#counts.audio++;
    if (now - capturedAt > AUDIO_MAX_AGE_MS) {
      this.#counts.audioStale++;
      return;
    }
    let speaker = this.#speakers.get(header.sender);
    if (!speaker) {
      speaker = {
        jitter: new JitterBuffer<Buffer>(),
        opus: new OpusCodec(),
        level: -100,
        captured: new Float64Array(CAPTURE_RING),
      };
      this.#speakers.set(header.sender, speaker);
    }
    speaker.captured[header.sequence % CAPTURE_RING] = capturedAt;
    speaker.jitter.push(
      header.sequence,
      capturedAt,
      payload,
      (header.flags & MediaFlag.TALK_START) !== 0,
    );
  }

  /** One 20 ms playout tick: pull each speaker's frame, decode or conceal, mix, play. */
  #tick(): void {
    const frames: Int16Array[] = [];
    const levels: Array<[number, number]> = [];
    const now = nowMs();
    for (const [memberId, speaker] of this.#speakers) {
      const pop = speaker.jitter.pop();
      if (!pop) {
        speaker.level = -100;
        levels.push([memberId, -100]);
        continue;
      }
      let pcm: Int16Array;
      if (pop.payload) {
        this.#audioLatency.add(now - (speaker.captured[pop.seq % CAPTURE_RING] as number));
        try {
          pcm = speaker.opus.decode(pop.payload);
        } catch {
          pcm = speaker.opus.conceal();
        }
      } else {
        pcm = speaker.opus.conceal();
      }
      speaker.level = rmsDbfs(pcm);
      levels.push([memberId, speaker.level]);
      frames.push(pcm);
    }
    if (levels.length > 0) this.#activeSpeaker.update(levels);
    const cue = this.#cue.shift();
    if (cue) frames.push(cue);
    if (frames.length === 0) return;
    const mixed = this.#mixer.mix(frames);
    this.#sink?.write(mixed);
    this.#hooks.playout(mixed);
  }
}
