/**
 * The send half of a MediaSession, reading straight through:
 *   capture (camera, microphone, screen) → face effects (camera) → encode (JPEG, or VAD then Opus)
 *   → the media transport.
 * Video is dropped whole while the video link is backed up, never queued; audio is small and always
 * offered (the relay bounds what queues behind a slow receiver). Timestamps on the wire are capture
 * times in server-clock microseconds.
 */
import {
  MediaFlag,
  MediaKind,
  MediaSource,
  VIDEO_DEFAULT_JPEG_QUALITY,
  type MediaKindValue,
} from '../../common/constants';
import { LINK_SPECS, type MediaLinkKind } from '../../common/links';
import { encodeMediaFrame, type MediaHeader } from '../../common/media';
import type { ClockSync } from '../ClockSync';
import type { MediaTransport } from '../MediaTransport';
import { AudioSource, type AudioSourceSpec } from './capture/AudioSource';
import { VideoSource, type VideoSourceSpec } from './capture/VideoSource';
import { encodeJpeg } from './codec/Jpeg';
import { OpusCodec } from './codec/Opus';
import { Vad } from './codec/Vad';
import { FaceEffects } from './effects/FaceEffects';
import type { AudioFrame, VideoFrame } from './frames';
import { ScreenSource } from './screen/ScreenSource';

export interface SendPathOptions {
  /** Camera: 'testpattern', a video file, a camera index, or 'none'. */
  video?: VideoSourceSpec | 'none';
  /** Microphone: 'tone', a WAV file, a PortAudio device id (-1 default), or 'none'. */
  audio?: AudioSourceSpec | 'none';
  width?: number;
  height?: number;
  fps?: number;
  jpegQuality?: number;
  /** Tone frequency for audio 'tone' (Hz). */
  toneFrequency?: number;
  /** X display to share (default $DISPLAY). */
  screenDisplay?: string;
  screenFps?: number;
}

/** Where the send path reports what is not a frame on the wire. */
export interface SendPathHooks {
  /** Self view: each camera frame, raw, after the face effect. */
  localVideo(frame: VideoFrame): void;
  error(error: Error): void;
}

/** What the send path did, counted since it was made. */
export interface SendCounters {
  audio: number;
  video: number;
  screen: number;
  /** Audio frames not sent because they were silence. */
  silent: number;
  /** Video frames not sent because the video link was backed up. */
  dropped: number;
}

export class SendPath {
  /** The face effect applied to camera frames before they are encoded. */
  readonly effects = new FaceEffects();
  readonly #transport: MediaTransport;
  readonly #clock: ClockSync;
  #options: SendPathOptions;
  readonly #hooks: SendPathHooks;
  readonly #vad = new Vad();
  readonly #opus = new OpusCodec();
  readonly #counters: SendCounters = { audio: 0, video: 0, screen: 0, silent: 0, dropped: 0 };
  readonly #sequence = { camera: 0, screen: 0, audio: 0 };
  #camera: VideoSource | null = null;
  #microphone: AudioSource | null = null;
  #screen: ScreenSource | null = null;
  #videoBlocked = false;
  readonly #onDrain = (kind: MediaLinkKind): void => {
    if (kind === 'video') this.#videoBlocked = false;
  };

  constructor(
    transport: MediaTransport,
    clock: ClockSync,
    options: SendPathOptions,
    hooks: SendPathHooks,
  ) {
    this.#transport = transport;
    this.#clock = clock;
    this.#options = { ...options };
    this.#hooks = hooks;
  }

  /** True while the camera is captured. */
  get cameraOpen(): boolean {
    return this.#camera !== null;
  }
  /** True while the microphone is captured. */
  get microphoneOpen(): boolean {
    return this.#microphone !== null;
  }

  /**
   * Uses other capture devices from now on: a source that is open and changed is closed and opened
   * again on the new device (a closed one opens on it next time).
   */
  async switchSources(sources: Pick<SendPathOptions, 'video' | 'audio'>): Promise<void> {
    const before = this.#options;
    this.#options = { ...before, ...sources };
    if (sources.video !== undefined && sources.video !== before.video && this.#camera) {
      this.closeCamera();
      this.openCamera();
    }
    if (sources.audio !== undefined && sources.audio !== before.audio && this.#microphone) {
      await this.closeMicrophone();
      this.openMicrophone();
    }
  }

  /** A copy of the counters. */
  get counters(): SendCounters {
    return { ...this.#counters };
  }

  /** True while the screen is captured and sent. */
  get screenSharing(): boolean {
    return this.#screen !== null;
  }

  /** Starts following the transport's backpressure (a replaced link keeps it working). */
  start(): void {
    this.#transport.on('drain', this.#onDrain);
  }

  /** Stops every capture and lets go of the transport. */
  async stop(): Promise<void> {
    this.#transport.off('drain', this.#onDrain);
    this.stopScreen();
    this.closeCamera();
    await this.closeMicrophone();
  }

  /** Opens the configured camera (no-op without one, or when it is open). */
  openCamera(): void {
    const spec = this.#options.video ?? 'none';
    if (spec === 'none' || this.#camera) return;
    const source = VideoSource.open(spec, {
      width: this.#options.width,
      height: this.#options.height,
      fps: this.#options.fps,
    });
    source.on('frame', (f) => this.#sendVideo(this.effects.apply(f), MediaSource.CAMERA));
    source.on('error', (e) => this.#hooks.error(e));
    source.start();
    this.#camera = source;
  }

  /** Stops the camera. */
  closeCamera(): void {
    this.#camera?.stop();
    this.#camera = null;
  }

  /** Opens the configured microphone (no-op without one, or when it is open). */
  openMicrophone(): void {
    const spec = this.#options.audio ?? 'none';
    if (spec === 'none' || this.#microphone) return;
    const source = AudioSource.open(
      spec,
      this.#options.toneFrequency ? { frequency: this.#options.toneFrequency } : {},
    );
    source.on('frame', (f) => this.#sendAudio(f));
    source.on('error', (e) => this.#hooks.error(e));
    source.start();
    this.#microphone = source;
  }

  /** Stops the microphone. */
  async closeMicrophone(): Promise<void> {
    const source = this.#microphone;
    this.#microphone = null;
    await source?.stop();
  }

  /**
   * Opens the screen capture, waits for `grant` (the server's permission), then sends the screen as
   * a second video source. The capture is closed again when `grant` rejects.
   */
  async startScreen(grant: () => Promise<void>): Promise<void> {
    if (this.#screen) return;
    const source = ScreenSource.open({
      ...(this.#options.screenDisplay ? { display: this.#options.screenDisplay } : {}),
      ...(this.#options.screenFps ? { fps: this.#options.screenFps } : {}),
    });
    try {
      await grant();
    } catch (error) {
      source.stop();
      throw error;
    }
    source.on('frame', (f) => this.#sendVideo(f, MediaSource.SCREEN));
    source.on('error', (e) => this.#hooks.error(e));
    source.start();
    this.#screen = source;
  }

  /** Stops sending the screen; false when it was not sent. */
  stopScreen(): boolean {
    const source = this.#screen;
    if (!source) return false;
    this.#screen = null;
    source.stop();
    return true;
  }

  /** A header for one frame; the server stamps the sender. */
  #header(
    kind: MediaKindValue,
    source: number,
    flags: number,
    sequence: number,
    capturedAt: number,
  ): MediaHeader {
    return {
      kind,
      source,
      flags,
      sender: 0,
      sequence: sequence >>> 0,
      timestamp: this.#clock.toServer(capturedAt) * 1000,
    };
  }

  #sendVideo(frame: VideoFrame, source: number): void {
    const screen = source === MediaSource.SCREEN;
    if (!screen) this.#hooks.localVideo(frame);
    // A backed-up link means the network cannot keep up: drop whole frames, never queue them.
    if (this.#videoBlocked) {
      this.#counters.dropped++;
      return;
    }
    if (!this.#transport.isOpen('video')) return;
    const sequence = screen ? this.#sequence.screen++ : this.#sequence.camera++;
    const wire = encodeMediaFrame(
      this.#header(MediaKind.VIDEO, source, MediaFlag.KEYFRAME, sequence, frame.timestamp),
      encodeJpeg(frame, this.#options.jpegQuality ?? VIDEO_DEFAULT_JPEG_QUALITY),
      LINK_SPECS.video.maxFrameSize,
    );
    if (!this.#transport.send('video', wire)) this.#videoBlocked = true;
    if (screen) this.#counters.screen++;
    else this.#counters.video++;
  }

  #sendAudio(frame: AudioFrame): void {
    const vad = this.#vad.process(frame.data);
    if (!vad.speech) {
      this.#counters.silent++;
      return;
    }
    const flags = vad.talkStart ? MediaFlag.TALK_START : 0;
    const wire = encodeMediaFrame(
      this.#header(
        MediaKind.AUDIO,
        MediaSource.MICROPHONE,
        flags,
        this.#sequence.audio++,
        frame.timestamp,
      ),
      this.#opus.encode(frame.data),
      LINK_SPECS.audio.maxFrameSize,
    );
    // Audio is small and never held back: the relay bounds what queues behind a slow receiver.
    this.#transport.send('audio', wire);
    this.#counters.audio++;
  }
}
