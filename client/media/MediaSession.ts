/**
 * The client's media pipeline for one meeting, reading straight through:
 *   send:    capture (VideoSource / AudioSource) → VAD → encode (JPEG / Opus) → media link
 *   receive: media link → stale-frame drop (video) / jitter buffer per speaker (audio) → decode →
 *            mix → playback (AudioSink), active-speaker detection, 'video' events for renderers.
 * Timestamps on the wire are capture times in server-clock microseconds (ClockSync converts).
 */
import { nowMs } from '../../common/clock';
import {
  AUDIO_FRAME_MS,
  AUDIO_MAX_AGE_MS,
  type FaceEffectName,
  MAX_FRAME_SIZE,
  MediaFlag,
  MediaKind,
  MediaSource,
  VIDEO_DEFAULT_JPEG_QUALITY,
  VIDEO_MAX_AGE_MS,
} from '../../common/constants';
import { decodeMediaFrame, encodeMediaFrame } from '../../common/media';
import type { MediaLinkKind } from '../../common/links';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { MediaTransport } from '../MediaTransport';
import type { MeetingClient } from '../MeetingClient';
import { ActiveSpeaker } from './playout/ActiveSpeaker';
import { rmsDbfs } from './analysis';
import { AudioSink, type AudioSinkSpec } from './playout/AudioSink';
import { AudioSource, type AudioSourceSpec } from './capture/AudioSource';
import type { AudioFrame, VideoFrame } from './frames';
import { JitterBuffer } from './playout/JitterBuffer';
import { encodeJpeg } from './codec/Jpeg';
import { Mixer } from './playout/Mixer';
import { OpusCodec } from './codec/Opus';
import { Pacer } from './capture/Pacer';
import { FaceEffects } from './effects/FaceEffects';
import { ScreenSource } from './screen/ScreenSource';
import { Vad } from './codec/Vad';
import { VideoSource, type VideoSourceSpec } from './capture/VideoSource';

export interface MediaSessionOptions {
  /** Camera: 'testpattern', a video file, a camera index, or 'none'. */
  video?: VideoSourceSpec | 'none';
  /** Microphone: 'tone', a WAV file, a PortAudio device id (-1 default), or 'none'. */
  audio?: AudioSourceSpec | 'none';
  /** Speaker: a PortAudio device id (-1 default), a WAV file to record into, or 'none'. */
  speaker?: AudioSinkSpec | 'none';
  width?: number;
  height?: number;
  fps?: number;
  jpegQuality?: number;
  /** Received video older than this is dropped (ms). */
  maxVideoAgeMs?: number;
  /** Tone frequency for audio 'tone' (Hz). */
  toneFrequency?: number;
  /** Face effect to start with (default: the one the account chose last). */
  effect?: FaceEffectName;
  /** X display to share (default $DISPLAY). */
  screenDisplay?: string;
  screenFps?: number;
}

export interface RemoteVideoFrame {
  memberId: number;
  source: number;
  sequence: number;
  jpeg: Buffer;
  /** Capture time on the local clock (ms). */
  capturedAt: number;
  /** Age when it arrived (ms). */
  ageMs: number;
}

export interface MediaStats {
  sent: { audio: number; video: number; screen: number };
  /** Audio frames not sent because they were silence. */
  silent: number;
  /** Video frames not sent because the video link was backed up. */
  sendDropped: number;
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
  effect: FaceEffectName;
  /** Mean cost of the current face effect per frame (ms), detection included. */
  effectMs: number;
}

export type MediaSessionEvents = {
  video: [frame: RemoteVideoFrame];
  /** Self view: each frame sent (or captured while the camera is on). */
  localVideo: [frame: { jpeg: Buffer; capturedAt: number }];
  activeSpeaker: [memberId: number | null];
  /** The mixed audio of one 20 ms tick, as played. */
  playout: [samples: Int16Array];
  error: [error: Error];
};

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
  add(v: number): void {
    this.#values.push(v);
    if (this.#values.length > this.size) this.#values.shift();
  }
  percentile(p: number): number | null {
    if (this.#values.length === 0) return null;
    const sorted = [...this.#values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
  }
}

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  readonly #client: MeetingClient;
  readonly #transport: MediaTransport;
  readonly #options: MediaSessionOptions;
  readonly #vad = new Vad();
  readonly #encoder = new OpusCodec();
  readonly #mixer = new Mixer();
  readonly #activeSpeaker = new ActiveSpeaker();
  readonly #speakers = new Map<number, Speaker>();
  readonly #playout: Pacer;
  readonly #videoAge = new Window();
  readonly #audioLatency = new Window();
  readonly #effects = new FaceEffects();
  #video: VideoSource | null = null;
  #screen: ScreenSource | null = null;
  #screenSeq = 0;
  #audio: AudioSource | null = null;
  #sink: AudioSink | null = null;
  #cameraOn: boolean;
  #microphoneOn: boolean;
  #videoSeq = 0;
  #audioSeq = 0;
  #videoBlocked = false;
  #started = false;
  #stats = {
    sentScreen: 0,
    sentAudio: 0,
    sentVideo: 0,
    silent: 0,
    sendDropped: 0,
    recvAudio: 0,
    recvVideo: 0,
    videoDropped: 0,
    audioStale: 0,
  };
  readonly #onFrame = (frame: Buffer, kind: MediaLinkKind): void => this.#receive(frame, kind);
  readonly #onDrain = (kind: MediaLinkKind): void => {
    if (kind === 'video') this.#videoBlocked = false;
  };
  /** A member who left takes its jitter buffer and decoder along (not scanned for on every tick). */
  readonly #onMemberLeft = ({ memberId }: { memberId: number }): void => {
    this.#speakers.delete(memberId);
    this.#activeSpeaker.remove(memberId);
  };

  constructor(client: MeetingClient, options: MediaSessionOptions = {}) {
    super();
    this.#client = client;
    this.#transport = client.transport;
    this.#options = options;
    this.#cameraOn = (options.video ?? 'none') !== 'none';
    this.#microphoneOn = (options.audio ?? 'none') !== 'none';
    this.#playout = new Pacer(AUDIO_FRAME_MS, () => this.#tick());
    this.#activeSpeaker.on('activeSpeaker', (id) => this.safeEmit('activeSpeaker', id));
  }

  get cameraOn(): boolean {
    return this.#cameraOn;
  }
  get microphoneOn(): boolean {
    return this.#microphoneOn;
  }
  get effect(): FaceEffectName {
    return this.#effects.effect;
  }
  get screenSharing(): boolean {
    return this.#screen !== null;
  }

  /** Syncs the clock, opens capture and playback, and starts sending and receiving. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#client.clock.samples < 3) await this.#client.syncClock(5);
    this.#effects.setEffect(this.#options.effect ?? this.#client.session?.effect ?? 'none');
    this.#transport.on('frame', this.#onFrame);
    this.#transport.on('drain', this.#onDrain);
    this.#client.on('memberLeft', this.#onMemberLeft);
    const speaker = this.#options.speaker ?? 'none';
    if (speaker !== 'none') {
      this.#sink = AudioSink.open(speaker);
      this.#sink.on('error', (e) => this.safeEmit('error', e));
    }
    this.#playout.start();
    if (this.#cameraOn) this.#openCamera();
    if (this.#microphoneOn) this.#openMicrophone();
  }

  /** Turns the microphone on or off for real (capture stops) and tells the room. */
  async setMicrophone(on: boolean): Promise<void> {
    if (on === this.#microphoneOn) return;
    if ((this.#options.audio ?? 'none') === 'none' && on)
      throw new TypeError('no microphone configured');
    this.#microphoneOn = on;
    if (on) this.#openMicrophone();
    else await this.#closeMicrophone();
    await this.#client.setMediaState(this.#microphoneOn, this.#cameraOn);
  }

  /** Turns the camera on or off for real (capture stops) and tells the room. */
  async setCamera(on: boolean): Promise<void> {
    if (on === this.#cameraOn) return;
    if ((this.#options.video ?? 'none') === 'none' && on)
      throw new TypeError('no camera configured');
    this.#cameraOn = on;
    if (on) this.#openCamera();
    else this.#closeCamera();
    await this.#client.setMediaState(this.#microphoneOn, this.#cameraOn);
  }

  /** Switches the face effect from the next frame on; remembered for the account, the room is told. */
  async setEffect(effect: FaceEffectName): Promise<void> {
    this.#effects.setEffect(effect);
    await this.#client.setEffect(effect);
  }

  /** Shares the screen as a second video source (after the server grants it). */
  async startScreenShare(): Promise<void> {
    if (this.#screen) return;
    const source = ScreenSource.open({
      ...(this.#options.screenDisplay ? { display: this.#options.screenDisplay } : {}),
      ...(this.#options.screenFps ? { fps: this.#options.screenFps } : {}),
    });
    try {
      await this.#client.startScreenShare();
    } catch (error) {
      source.stop();
      throw error;
    }
    source.on('frame', (f) => this.#sendFrame(f, MediaSource.SCREEN));
    source.on('error', (e) => this.safeEmit('error', e));
    source.start();
    this.#screen = source;
  }

  async stopScreenShare(): Promise<void> {
    const source = this.#screen;
    if (!source) return;
    this.#screen = null;
    source.stop();
    await this.#client.stopScreenShare().catch(() => undefined);
  }

  stats(): MediaStats {
    let audioDropped = this.#stats.audioStale;
    let concealed = 0;
    let depth = 0;
    for (const s of this.#speakers.values()) {
      const c = s.jitter.counters;
      audioDropped += c.late + c.lost;
      concealed += c.concealed;
      depth = Math.max(depth, s.jitter.depthMs);
    }
    const st = this.#stats;
    return {
      sent: { audio: st.sentAudio, video: st.sentVideo, screen: st.sentScreen },
      silent: st.silent,
      sendDropped: st.sendDropped,
      received: { audio: st.recvAudio, video: st.recvVideo },
      videoDropped: st.videoDropped,
      audioDropped,
      concealed,
      videoLatencyMs: this.#videoAge.percentile(50),
      audioLatencyMs: this.#audioLatency.percentile(50),
      videoLatencyP99Ms: this.#videoAge.percentile(99),
      audioLatencyP99Ms: this.#audioLatency.percentile(99),
      jitterDepthMs: depth,
      activeSpeaker: this.#activeSpeaker.current,
      effect: this.#effects.effect,
      effectMs: this.#effects.timings[this.#effects.effect].meanMs,
    };
  }

  /** Stops capture and playback; idempotent. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#transport.off('frame', this.#onFrame);
    this.#transport.off('drain', this.#onDrain);
    this.#client.off('memberLeft', this.#onMemberLeft);
    await this.stopScreenShare();
    this.#closeCamera();
    await this.#closeMicrophone();
    this.#playout.stop();
    await this.#sink?.close();
    this.#sink = null;
  }

  // ---- send ----------------------------------------------------------------------------------

  #openCamera(): void {
    const spec = this.#options.video ?? 'none';
    if (spec === 'none' || this.#video) return;
    const source = VideoSource.open(spec, {
      width: this.#options.width,
      height: this.#options.height,
      fps: this.#options.fps,
    });
    source.on('frame', (f) => this.#sendFrame(this.#effects.apply(f), MediaSource.CAMERA));
    source.on('error', (e) => this.safeEmit('error', e));
    source.start();
    this.#video = source;
  }

  #closeCamera(): void {
    this.#video?.stop();
    this.#video = null;
  }

  #openMicrophone(): void {
    const spec = this.#options.audio ?? 'none';
    if (spec === 'none' || this.#audio) return;
    const source = AudioSource.open(
      spec,
      this.#options.toneFrequency ? { frequency: this.#options.toneFrequency } : {},
    );
    source.on('frame', (f) => this.#sendAudio(f));
    source.on('error', (e) => this.safeEmit('error', e));
    source.start();
    this.#audio = source;
  }

  async #closeMicrophone(): Promise<void> {
    const source = this.#audio;
    this.#audio = null;
    await source?.stop();
  }

  #sendFrame(frame: VideoFrame, source: number): void {
    const jpeg = encodeJpeg(frame, this.#options.jpegQuality ?? VIDEO_DEFAULT_JPEG_QUALITY);
    if (source === MediaSource.CAMERA)
      this.safeEmit('localVideo', { jpeg, capturedAt: frame.timestamp });
    // A backed-up link means the network cannot keep up: drop whole frames, never queue them.
    if (this.#videoBlocked) {
      this.#stats.sendDropped++;
      return;
    }
    const wire = encodeMediaFrame(
      {
        kind: MediaKind.VIDEO,
        source,
        flags: MediaFlag.KEYFRAME,
        sender: 0,
        sequence: (source === MediaSource.SCREEN ? this.#screenSeq++ : this.#videoSeq++) >>> 0,
        timestamp: this.#client.clock.toServer(frame.timestamp) * 1000,
      },
      jpeg,
      MAX_FRAME_SIZE.video,
    );
    if (!this.#transport.isOpen('video')) return;
    if (!this.#transport.send('video', wire)) this.#videoBlocked = true;
    if (source === MediaSource.SCREEN) this.#stats.sentScreen++;
    else this.#stats.sentVideo++;
  }

  #sendAudio(frame: AudioFrame): void {
    const vad = this.#vad.process(frame.data);
    if (!vad.speech) {
      this.#stats.silent++;
      return;
    }
    const wire = encodeMediaFrame(
      {
        kind: MediaKind.AUDIO,
        source: MediaSource.MICROPHONE,
        flags: vad.talkStart ? MediaFlag.TALK_START : 0,
        sender: 0,
        sequence: this.#audioSeq++ >>> 0,
        timestamp: this.#client.clock.toServer(frame.timestamp) * 1000,
      },
      this.#encoder.encode(frame.data),
      MAX_FRAME_SIZE.audio,
    );
    // Audio is small and never held back: the relay bounds what queues behind a slow receiver.
    this.#transport.send('audio', wire);
    this.#stats.sentAudio++;
  }

  // ---- receive -------------------------------------------------------------------------------

  #receive(bytes: Buffer, link: MediaLinkKind): void {
    let frame;
    try {
      frame = decodeMediaFrame(bytes, MAX_FRAME_SIZE[link]);
    } catch (error) {
      this.safeEmit('error', error as Error);
      return;
    }
    const { header, payload } = frame;
    const capturedAt = this.#client.clock.toLocal(header.timestamp / 1000);
    const now = nowMs();
    if (header.kind === MediaKind.VIDEO) {
      this.#stats.recvVideo++;
      const ageMs = now - capturedAt;
      if (ageMs > (this.#options.maxVideoAgeMs ?? VIDEO_MAX_AGE_MS)) {
        this.#stats.videoDropped++;
        return;
      }
      this.#videoAge.add(ageMs);
      this.safeEmit('video', {
        memberId: header.sender,
        source: header.source,
        sequence: header.sequence,
        jpeg: payload,
        capturedAt,
        ageMs,
      });
      return;
    }
    this.#stats.recvAudio++;
    if (now - capturedAt > AUDIO_MAX_AGE_MS) {
      this.#stats.audioStale++;
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
    if (frames.length === 0) return;
    const mixed = this.#mixer.mix(frames);
    this.#sink?.write(mixed);
    this.safeEmit('playout', mixed);
  }
}
