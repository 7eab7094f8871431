/**
 * Signal measurements used by the VAD, the active-speaker detector and the tests: level in dBFS and
 * the dominant frequency of a signal (a Hann-windowed radix-2 FFT with parabolic peak interpolation).
 */

/** Full scale of signed 16-bit PCM. */
const FULL_SCALE = 32768;
/** Largest FFT taken by `dominantFrequency` (1.5 s at 48 kHz; bins of 0.73 Hz before interpolation). */
const MAX_FFT_SIZE = 65536;

/**
 * RMS level of `samples` relative to full scale, in dB (plain RMS: a full-scale sine reads -3.01
 * dBFS, as in sox's "RMS lev dB"); `-Infinity` for digital silence or an empty input.
 */
export function rmsDbfs(samples: Int16Array): number {
  if (samples.length === 0) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  if (sum === 0) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(sum / samples.length / (FULL_SCALE * FULL_SCALE));
}

/** Peak level of `samples` relative to full scale, in dB; `-Infinity` for silence. */
export function peakDbfs(samples: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i]);
    if (v > peak) peak = v;
  }
  return peak === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(peak / FULL_SCALE);
}

/** Options of `dominantFrequency`. */
export interface DominantFrequencyOptions {
  /** Ignore spectral peaks below this frequency (Hz; default 20, which skips any DC offset). */
  minHz?: number;
  /** Ignore spectral peaks above this frequency (Hz; default the Nyquist frequency). */
  maxHz?: number;
}

/**
 * Frequency (Hz) of the strongest spectral peak of `samples` (mono), or NaN when the input is
 * shorter than 64 samples or silent. Uses the largest power-of-two prefix up to 65536 samples;
 * accuracy is well under 1 Hz for a clean tone of 0.2 s or more at 48 kHz.
 */
export function dominantFrequency(
  samples: Int16Array,
  sampleRate: number,
  options: DominantFrequencyOptions = {},
): number {
  if (!(sampleRate > 0)) throw new TypeError(`sampleRate must be positive, got ${sampleRate}`);
  let n = 1;
  while (n * 2 <= Math.min(samples.length, MAX_FFT_SIZE)) n *= 2;
  if (n < 64) return Number.NaN;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    re[i] = samples[i] * hann;
  }
  fft(re, im);
  const binHz = sampleRate / n;
  const lo = Math.max(1, Math.ceil((options.minHz ?? 20) / binHz));
  const hi = Math.min(n / 2 - 1, Math.floor((options.maxHz ?? sampleRate / 2) / binHz));
  let best = -1;
  let bestPower = 0;
  for (let k = lo; k <= hi; k++) {
    const p = re[k] * re[k] + im[k] * im[k];
    if (p > bestPower) {
      bestPower = p;
      best = k;
    }
  }
  if (best < 0) return Number.NaN;
  // parabolic interpolation on log magnitudes around the peak bin gives a sub-bin estimate
  const mag = (k: number): number => Math.log(Math.hypot(re[k], im[k]) + 1e-12);
  const a = mag(best - 1);
  const b = mag(best);
  const c = mag(best + 1);
  const denom = a - 2 * b + c;
  const delta = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
  return (best + Math.max(-0.5, Math.min(0.5, delta))) * binHz;
}

/** In-place iterative radix-2 FFT; `re.length` must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const half = len >> 1;
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = i + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] = re[a] + xr;
        im[a] = im[a] + xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}
