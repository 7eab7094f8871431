/**
 * A Prometheus histogram for the relay's hot path: `observe()` is a bucket scan and three array
 * writes, no label hashing (prom-client's Histogram validates and hashes labels on every call,
 * about a microsecond a frame). One series per value of its single label, fixed when built; it
 * registers itself with a prom-client Registry and renders in the same exposition text.
 */
import type { Metric, Registry } from 'prom-client';

interface Series {
  buckets: Float64Array;
  sum: number;
  count: number;
}

export interface FastHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelName: string;
  labelValues: readonly L[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

export class FastHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelName: string;
  readonly #bounds: Float64Array;
  readonly #series = new Map<L, Series>();

  constructor(options: FastHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelName = options.labelName;
    this.#bounds = Float64Array.from(options.buckets);
    for (const value of options.labelValues) {
      this.#series.set(value, {
        buckets: new Float64Array(this.#bounds.length),
        sum: 0,
        count: 0,
      });
    }
    for (const registry of options.registers)
      registry.registerMetric(this as unknown as Metric<string>);
  }

  /** Records one value (seconds) for the series `label`; unknown labels are ignored. */
  observe(label: L, value: number): void {
    const series = this.#series.get(label);
    if (!series) return;
    series.sum += value;
    series.count++;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        series.buckets[i]++;
        return;
      }
    }
  }

  /** Count of observations of `label` (tests, docs). */
  count(label: L): number {
    return this.#series.get(label)?.count ?? 0;
  }

  reset(): void {
    for (const s of this.#series.values()) {
      s.buckets.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  /** What prom-client's Registry renders (the shape of its own metrics' `get()`). */
  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
  } {
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }> = [];
    for (const [label, s] of this.#series) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += s.buckets[i];
        values.push({
          labels: { le: this.#bounds[i], [this.#labelName]: label },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({
        labels: { le: '+Inf', [this.#labelName]: label },
        value: s.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({
        labels: { [this.#labelName]: label },
        value: s.sum,
        metricName: `${this.name}_sum`,
      });
      values.push({
        labels: { [this.#labelName]: label },
        value: s.count,
        metricName: `${this.name}_count`,
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}
