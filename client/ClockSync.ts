/**
 * Estimates the offset between the local clock and the server clock from ping samples: the sample
 * with the smallest round-trip time bounds the error best (NTP's minimum-RTT filter).
 */
export interface ClockSample {
  /** Local time the ping was sent (ms). */
  sent: number;
  /** Server time in the reply (ms). */
  server: number;
  /** Local time the reply arrived (ms). */
  received: number;
}

export class ClockSync {
  readonly #window: number;
  #samples: Array<{ rtt: number; offset: number }> = [];
  /** The minimum-RTT sample, kept on `add` (offset is read for every media frame). */
  #bestSample: { rtt: number; offset: number } | undefined;

  constructor(window = 16) {
    this.#window = window;
  }

  add(sample: ClockSample): void {
    const rtt = sample.received - sample.sent;
    if (rtt < 0) return;
    this.#samples.push({ rtt, offset: sample.server - (sample.sent + sample.received) / 2 });
    if (this.#samples.length > this.#window) this.#samples.shift();
    this.#bestSample = this.#best();
  }

  get samples(): number {
    return this.#samples.length;
  }

  #best(): { rtt: number; offset: number } | undefined {
    let best: { rtt: number; offset: number } | undefined;
    for (const s of this.#samples) if (!best || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Server clock minus local clock (ms); 0 before any sample. */
  get offset(): number {
    return this.#bestSample?.offset ?? 0;
  }

  /** Smallest round-trip time seen (ms), or NaN before any sample. */
  get rtt(): number {
    return this.#bestSample?.rtt ?? Number.NaN;
  }

  /** Converts a local time (ms) to server time (ms). */
  toServer(local: number): number {
    return local + this.offset;
  }

  /** Converts a server time (ms) to local time (ms). */
  toLocal(server: number): number {
    return server - this.offset;
  }
}
