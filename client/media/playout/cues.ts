/** Short notification sounds (a member joined / left), as 20 ms frames for `MediaSession.playCue`. */
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, DESKTOP_CUE } from '../../../common/constants';

export type CueKind = 'join' | 'leave';

/** Two short notes (rising for a join, falling for a leave) with soft edges, cut into 20 ms frames. */
export function cueFrames(kind: CueKind): Int16Array[] {
  const notes = kind === 'join' ? DESKTOP_CUE.joinHz : DESKTOP_CUE.leaveHz;
  const noteSamples = Math.round((DESKTOP_CUE.noteMs / 1000) * AUDIO_SAMPLE_RATE);
  const total = Math.ceil((notes.length * noteSamples) / AUDIO_FRAME_SAMPLES) * AUDIO_FRAME_SAMPLES;
  const pcm = new Int16Array(total);
  const fade = Math.round(AUDIO_SAMPLE_RATE * 0.005);
  notes.forEach((hz, n) => {
    for (let i = 0; i < noteSamples; i++) {
      const edge = Math.min(1, i / fade, (noteSamples - 1 - i) / fade);
      const v = Math.sin((2 * Math.PI * hz * i) / AUDIO_SAMPLE_RATE) * edge * DESKTOP_CUE.gain;
      pcm[n * noteSamples + i] = Math.round(v * 32767);
    }
  });
  const frames: Int16Array[] = [];
  for (let i = 0; i < total; i += AUDIO_FRAME_SAMPLES)
    frames.push(pcm.slice(i, i + AUDIO_FRAME_SAMPLES));
  return frames;
}
