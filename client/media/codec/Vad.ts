/**
 * Energy-based voice activity detection with an adaptive noise floor and a hangover (the fallback
 * the toolchain notes name for WebRTC's VAD). A frame is speech when its level is both above an
 * absolute minimum and a margin above the noise floor; speech then lasts at least `hangoverMs`
 * after the last loud frame, so short pauses between words do not end a talk spurt.
 *
 * The floor follows the level down quickly and up slowly (time constants 1 s in silence, 4 s during
 * speech), so a steady hum becomes background within a few seconds while a talker, whose level
 * drops between words, does not; and it never rises above -40 dBFS, so anything louder than -28
 * dBFS stays speech however long it lasts.
 */
import { AUDIO_FRAME_MS, VAD_HANGOVER_MS } from '../../../common/constants';
import { rmsDbfs } from '../analysis';

/** Options of a `Vad`. */
export interface VadOptions {
  /** Speech continues this long after the last loud frame (ms, default 300). */
  hangoverMs?: number;
  /** Margin above the noise floor for speech (dB, default 12). */
  marginDb?: number;
  /** Frames below this level are never speech (dBFS, default -55). */
  minSpeechDbfs?: number;
  /** Starting noise floor (dBFS, default -70). */
  initialFloorDbfs?: number;
  /** Duration of one frame (ms, default AUDIO_FRAME_MS). */
  frameMs?: number;
}

/** The decision for one frame. */
export interface VadResult {
  /** Speech in this frame (hangover included). */
  speech: boolean;
  /** First speech frame after silence: a talk spurt starts here. */
  talkStart: boolean;
  /** RMS level of the frame (dBFS, floored at -100 for silence). */
  level: number;
}

/** Levels are clamped here so digital silence (-Infinity) stays arithmetic. */
const SILENCE_DBFS = -100;
/** The floor never rises above this, so a long loud talker (or test tone) is not learnt as noise. */
const MAX_FLOOR_DBFS = -40;
/** Per-frame smoothing of the floor: falling, rising in silence, rising during speech. */
const FALL = 0.5;
const RISE_SILENCE = 0.02;
const RISE_SPEECH = 0.005;

export class Vad {
  readonly #hangoverFrames: number;
  readonly #marginDb: number;
  readonly #minSpeechDbfs: number;
  readonly #initialFloor: number;
  #floor: number;
  #hangover = 0;
  #speech = false;

  /** A detector with the noise floor at `initialFloorDbfs`. */
  constructor(options: VadOptions = {}) {
    const frameMs = options.frameMs ?? AUDIO_FRAME_MS;
    if (!(frameMs > 0)) throw new TypeError(`frameMs must be positive, got ${frameMs}`);
    const hangoverMs = options.hangoverMs ?? VAD_HANGOVER_MS;
    if (!(hangoverMs >= 0)) throw new TypeError(`hangoverMs must be >= 0, got ${hangoverMs}`);
    this.#hangoverFrames = Math.round(hangoverMs / frameMs);
    this.#marginDb = options.marginDb ?? 12;
    this.#minSpeechDbfs = options.minSpeechDbfs ?? -55;
    this.#initialFloor = options.initialFloorDbfs ?? -70;
    this.#floor = this.#initialFloor;
  }

  /** Current noise floor estimate (dBFS). */
  get noiseFloor(): number {
    return this.#floor;
  }

  /** Whether the last processed frame was speech. */
  get speech(): boolean {
    return this.#speech;
  }

  /** Classifies one frame. */
  process(frame: Int16Array): VadResult {
    const level = Math.max(SILENCE_DBFS, rmsDbfs(frame));
    const loud = level >= this.#minSpeechDbfs && level >= this.#floor + this.#marginDb;
    let speech = loud;
    if (loud) {
      this.#hangover = this.#hangoverFrames;
    } else if (this.#hangover > 0) {
      this.#hangover--;
      speech = true;
    }
    const talkStart = speech && !this.#speech;
    this.#speech = speech;
    const rate = level < this.#floor ? FALL : speech ? RISE_SPEECH : RISE_SILENCE;
    this.#floor = Math.min(MAX_FLOOR_DBFS, this.#floor + (level - this.#floor) * rate);
    return { speech, talkStart, level };
  }

  /** Forgets the noise floor and any talk spurt in progress. */
  reset(): void {
    this.#floor = this.#initialFloor;
    this.#hangover = 0;
    this.#speech = false;
  }
}
