/**
 * Which of a detector run's faces the tracker follows: the one that continues the current track,
 * or the largest when there is none. A face away from the track or of another size (a cut, a
 * zoom, someone else stepping in) takes over only once it has been found in SWITCH_AFTER_RUNS runs
 * in a row and the tracked face in none of them, so one false hit never moves the effect, and a
 * real change moves it well before the hold runs out.
 */
import type { FaceRect } from './regions';
import type { FaceBox } from './TemplateFollower';

/** A detection this close to the tracked face (centre distance / face width) may be the same face... */
const SAME_FACE_DISTANCE = 0.75;
/** ...if its size is within this factor of the face's (a bigger change is a cut or a zoom). */
const SAME_FACE_SIZE_RATIO = 1.5;
/** A face elsewhere replaces the tracked one when this many detector runs in a row find it there. */
const SWITCH_AFTER_RUNS = 2;

/** What one detector run means for the track. */
export interface FaceChoice {
  /** The face to measure, or null (nothing found, or a face elsewhere not yet confirmed). */
  face: FaceRect | null;
  /** The face is another one than the track's: the track starts over there. */
  switched: boolean;
}

export class FaceChooser {
  /** A face found away from the track, and in how many detector runs in a row. */
  #candidate: FaceRect | null = null;
  #candidateRuns = 0;

  /** Forgets a face found away from the track. */
  reset(): void {
    this.#candidate = null;
    this.#candidateRuns = 0;
  }

  /** Chooses among `found` given the tracked face (null when there is no track). */
  choose(found: readonly FaceRect[], track: FaceBox | null): FaceChoice {
    if (found.length === 0 || !track) {
      this.reset();
      return { face: found.length === 0 ? null : largest(found), switched: false };
    }
    let near: FaceRect | null = null;
    let nearest = Infinity;
    for (const r of found) {
      const ratio = r.width / track.w;
      if (ratio > SAME_FACE_SIZE_RATIO || ratio < 1 / SAME_FACE_SIZE_RATIO) continue;
      const d = Math.hypot(r.x + r.width / 2 - track.cx, r.y + r.height / 2 - track.cy) / track.w;
      if (d < nearest) {
        near = r;
        nearest = d;
      }
    }
    if (nearest <= SAME_FACE_DISTANCE) {
      this.reset();
      return { face: near, switched: false };
    }
    const other = largest(found);
    const previous = this.#candidate;
    const same =
      previous !== null &&
      Math.hypot(
        other.x + other.width / 2 - (previous.x + previous.width / 2),
        other.y + other.height / 2 - (previous.y + previous.height / 2),
      ) <=
        SAME_FACE_DISTANCE * previous.width;
    this.#candidate = other;
    this.#candidateRuns = same ? this.#candidateRuns + 1 : 1;
    if (this.#candidateRuns < SWITCH_AFTER_RUNS) return { face: null, switched: false };
    this.reset();
    return { face: other, switched: true };
  }
}

function largest(rects: readonly FaceRect[]): FaceRect {
  return rects.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
}
