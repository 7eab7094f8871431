/**
 * The join screen's media, before any meeting: the chosen camera with the chosen face effect (as
 * the others will see it), the microphone's level for a meter, and a test tone on the chosen
 * speaker. Nothing is encoded or sent; everything is closed again by `stop()` (or before the
 * meeting's own session opens the same devices).
 */
import {
  AUDIO_FRAME_MS,
  AUDIO_FRAME_SAMPLES,
  DESKTOP_TEST_TONE,
  type FaceEffectName,
} from '../../common/constants';
import { TypedEmitter } from '../../common/TypedEmitter';
import { rmsDbfs } from './analysis';
import { AudioSource, type AudioSourceSpec } from './capture/AudioSource';
import { ToneGenerator } from './capture/ToneGenerator';
import { VideoSource, type VideoSourceSpec } from './capture/VideoSource';
import { FaceEffects } from './effects/FaceEffects';
import type { VideoFrame } from './frames';
import { AudioSink, type AudioSinkSpec } from './playout/AudioSink';

export interface PreviewChoices {
  video: VideoSourceSpec | 'none';
  audio: AudioSourceSpec | 'none';
  speaker: AudioSinkSpec | 'none';
}

export type PreviewEvents = {
  /** A camera frame after the face effect (raw BGR). */
  video: [frame: VideoFrame];
  /** A device failed (the preview keeps the others running). */
  error: [error: Error];
};

export class Preview extends TypedEmitter<PreviewEvents> {
  readonly #effects = new FaceEffects();
  #choices: PreviewChoices;
  #camera: VideoSource | null = null;
  #microphone: AudioSource | null = null;
  /** Loudest 20 ms frame since the meter last read it (dBFS). */
  #peak = Number.NEGATIVE_INFINITY;
  #running = false;
  #tone: Promise<void> | null = null;

  constructor(choices: PreviewChoices, effect: FaceEffectName = 'none') {
    super();
    this.#choices = { ...choices };
    this.#effects.setEffect(effect);
  }

  /** The face effect applied to the preview. */
  get effect(): FaceEffectName {
    return this.#effects.effect;
  }

  /** Opens the camera and the microphone (a device that fails is reported, the rest runs). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#openCamera();
    this.#openMicrophone();
  }

  /** Switches the face effect from the next frame on. */
  setEffect(effect: FaceEffectName): void {
    this.#effects.setEffect(effect);
  }

  /** Switches devices: the ones that changed are reopened. */
  async setChoices(choices: PreviewChoices): Promise<void> {
    const before = this.#choices;
    this.#choices = { ...choices };
    if (!this.#running) return;
    if (before.video !== choices.video) {
      this.#closeCamera();
      this.#openCamera();
    }
    if (before.audio !== choices.audio) {
      await this.#closeMicrophone();
      this.#openMicrophone();
    }
  }

  /** The loudest level heard since the last call (dBFS; -Infinity for silence or no microphone). */
  takeLevel(): number {
    const peak = this.#peak;
    this.#peak = Number.NEGATIVE_INFINITY;
    return peak;
  }

  /** True while the test tone plays. */
  get testingSpeaker(): boolean {
    return this.#tone !== null;
  }

  /** Plays a short tone on the chosen speaker; resolves once it has played (rejects if it cannot). */
  playTestTone(): Promise<void> {
    if (this.#tone) return this.#tone;
    const spec = this.#choices.speaker;
    if (spec === 'none') return Promise.reject(new TypeError('no speaker chosen'));
    const frames = Math.ceil(DESKTOP_TEST_TONE.ms / AUDIO_FRAME_MS);
    const run = async (): Promise<void> => {
      // The whole tone is queued at once: the sink's queue must hold it.
      const sink = AudioSink.open(spec, { maxQueueMs: DESKTOP_TEST_TONE.ms + 4 * AUDIO_FRAME_MS });
      const tone = new ToneGenerator({ frequency: DESKTOP_TEST_TONE.frequencyHz, levelDbfs: -12 });
      for (let i = 0; i < frames; i++) sink.write(tone.next(AUDIO_FRAME_SAMPLES));
      await sink.close();
    };
    this.#tone = run().finally(() => {
      this.#tone = null;
    });
    return this.#tone;
  }

  /** Closes every device; idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#closeCamera();
    await this.#closeMicrophone();
    await this.#tone?.catch(() => undefined);
  }

  #openCamera(): void {
    const spec = this.#choices.video;
    if (spec === 'none') return;
    try {
      const source = VideoSource.open(spec);
      source.on('frame', (f) => this.safeEmit('video', this.#effects.apply(f)));
      source.on('error', (e) => this.safeEmit('error', e));
      source.start();
      this.#camera = source;
    } catch (error) {
      this.safeEmit('error', error as Error);
    }
  }

  #closeCamera(): void {
    this.#camera?.stop();
    this.#camera = null;
  }

  #openMicrophone(): void {
    const spec = this.#choices.audio;
    if (spec === 'none') return;
    try {
      const source = AudioSource.open(spec);
      source.on('frame', (f) => {
        const level = rmsDbfs(f.data);
        if (level > this.#peak) this.#peak = level;
      });
      source.on('error', (e) => this.safeEmit('error', e));
      source.start();
      this.#microphone = source;
    } catch (error) {
      this.safeEmit('error', error as Error);
    }
  }

  async #closeMicrophone(): Promise<void> {
    const source = this.#microphone;
    this.#microphone = null;
    await source?.stop();
  }
}
