import { ACTIVE_SPEAKER_HOLD_MS } from '../../../common/constants';
/**
 * Picks the member who is speaking from per-speaker levels given every mixer tick, with hysteresis
 * so the highlight does not flicker: a new speaker takes over only after being the loudest for
 * `holdMs`, or at once when the current speaker has been quiet for `holdMs`; after `holdMs` of
 * general silence the active speaker becomes null. Emits 'activeSpeaker' on each change.
 */
import { TypedEmitter } from '../../../common/TypedEmitter';
import { nowMs } from '../../../common/clock';

/** Options of an `ActiveSpeaker` detector. */
export interface ActiveSpeakerOptions {
  /** Hysteresis time (ms, default 300). */
  holdMs?: number;
  /** Levels below this are silence (dBFS, default -50). */
  thresholdDbfs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** Events of an `ActiveSpeaker` detector. */
export type ActiveSpeakerEvents = {
  /** The active speaker changed (null: nobody speaks). */
  activeSpeaker: [memberId: number | null];
};

export class ActiveSpeaker extends TypedEmitter<ActiveSpeakerEvents> {
  readonly #holdMs: number;
  readonly #threshold: number;
  readonly #now: () => number;
  #current: number | null = null;
  #currentHeardAt = 0;
  #candidate: number | null = null;
  #candidateSince = 0;

  /** A detector with `holdMs` of hysteresis. */
  constructor(options: ActiveSpeakerOptions = {}) {
    super();
    this.#holdMs = options.holdMs ?? ACTIVE_SPEAKER_HOLD_MS;
    this.#threshold = options.thresholdDbfs ?? -50;
    this.#now = options.now ?? nowMs;
    if (!(this.#holdMs >= 0)) throw new TypeError(`holdMs must be >= 0, got ${this.#holdMs}`);
  }

  /** The active speaker (null: nobody). */
  get current(): number | null {
    return this.#current;
  }

  /**
   * Takes this tick's levels (dBFS) by member id; members missing from `levels` are silent. Returns
   * the active speaker after the update.
   */
  update(levels: Iterable<readonly [memberId: number, levelDbfs: number]>): number | null {
    const now = this.#now();
    let loudest: number | null = null;
    let loudestLevel = this.#threshold;
    let currentLoud = false;
    for (const [id, level] of levels) {
      if (!(level >= this.#threshold)) continue;
      if (id === this.#current) currentLoud = true;
      if (level > loudestLevel || loudest === null) {
        loudest = id;
        loudestLevel = level;
      }
    }
    if (currentLoud) this.#currentHeardAt = now;
    const currentQuiet = this.#current === null || now - this.#currentHeardAt >= this.#holdMs;

    if (loudest === null || loudest === this.#current) {
      this.#candidate = null;
      if (loudest === null && this.#current !== null && currentQuiet) this.#set(null, now);
      return this.#current;
    }
    if (this.#candidate !== loudest) {
      this.#candidate = loudest;
      this.#candidateSince = now;
    }
    if (currentQuiet || now - this.#candidateSince >= this.#holdMs) this.#set(loudest, now);
    return this.#current;
  }

  /** Forgets the active speaker (e.g. when they leave); emits when it changes. */
  remove(memberId: number): void {
    if (this.#candidate === memberId) this.#candidate = null;
    if (this.#current === memberId) this.#set(null, this.#now());
  }

  #set(id: number | null, now: number): void {
    this.#candidate = null;
    if (id === this.#current) return;
    this.#current = id;
    this.#currentHeardAt = now;
    this.safeEmit('activeSpeaker', id);
  }
}
