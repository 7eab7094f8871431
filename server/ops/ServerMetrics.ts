/**
 * The server's Prometheus metrics (prom-client), fed from the outside of the classes they count:
 * rooms through `room.observer`, requests through the dispatcher's wrapper, the worker pool and the
 * database through their hooks, and gauges read from the server at scrape time. The relay's
 * per-frame cost is an array increment (counters are folded into prom-client when scraped) and a
 * bucket scan for the latency histogram.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS_RELAY_BUCKETS, METRICS_TIME_BUCKETS } from '../../common/constants';
import {
  LINK_KINDS,
  MEDIA_LINK_KINDS,
  type LinkKind,
  type MediaLinkKind,
} from '../../common/links';
import type { Room } from '../Room';
import type { DropReason } from '../RoomObserver';
import { FastHistogram } from './FastHistogram';

/** What the gauges read when scraped. */
export interface MetricsSources {
  members(): number;
  meetings(): number;
  links(): Record<LinkKind, number>;
  poolQueue(): number;
}

const PREFIX = 'meeting_';

/** Per-kind tallies kept as plain numbers on the hot path, folded into counters when scraped. */
type Tally = Record<MediaLinkKind, number>;
const tally = (): Tally => ({ audio: 0, video: 0 });

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #frames = tally();
  readonly #bytes = tally();
  readonly #dropped = new Map<string, number>();
  readonly #relayLatency: FastHistogram<MediaLinkKind>;
  readonly #requests: Counter<'type' | 'result'>;
  readonly #requestTime: Histogram<'type'>;
  readonly #logins: Counter<'result'>;
  readonly #poolTime: Histogram<'task'>;
  readonly #dbTime: Histogram<never>;
  #sources: MetricsSources | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    // prom-client calls collect() with the metric as `this`; the sources are read through this.
    const sources = (): MetricsSources | null => this.#sources;
    const gauge = (name: string, help: string, read: (s: MetricsSources) => number): void => {
      new Gauge({
        name: PREFIX + name,
        help,
        registers,
        collect() {
          const s = sources();
          if (s) this.set(read(s));
        },
      });
    };
    gauge('members', 'Logged-in sessions on this node', (s) => s.members());
    gauge('meetings', 'Meetings open (rooms) on this node', (s) => s.meetings());
    gauge('worker_pool_queue', 'Worker-pool tasks waiting for a thread', (s) => s.poolQueue());
    new Gauge({
      name: `${PREFIX}links`,
      help: 'Open links by kind (control, audio, video, files)',
      labelNames: ['kind'],
      registers,
      collect() {
        const links = sources()?.links();
        if (!links) return;
        for (const kind of LINK_KINDS) this.set({ kind }, links[kind]);
      },
    });
    const folded = (name: string, help: string, source: Tally): void => {
      new Counter({
        name: PREFIX + name,
        help,
        labelNames: ['kind'],
        registers,
        collect() {
          for (const kind of MEDIA_LINK_KINDS) {
            this.inc({ kind }, source[kind]);
            source[kind] = 0;
          }
        },
      });
    };
    folded('relayed_frames_total', 'Media frames accepted by the relay, by kind', this.#frames);
    folded('relayed_bytes_total', 'Bytes of media frames accepted by the relay', this.#bytes);
    const dropped = this.#dropped;
    new Counter({
      name: `${PREFIX}dropped_frames_total`,
      help: 'Media frames not relayed, by kind and reason',
      labelNames: ['kind', 'reason'],
      registers,
      collect() {
        for (const [key, n] of dropped) {
          const [kind, reason] = key.split('/');
          this.inc({ kind, reason }, n);
        }
        dropped.clear();
      },
    });
    this.#relayLatency = new FastHistogram({
      name: `${PREFIX}relay_latency_seconds`,
      help: 'Relay accepted a frame → written on one receiver socket',
      labelName: 'kind',
      labelValues: MEDIA_LINK_KINDS,
      buckets: METRICS_RELAY_BUCKETS,
      registers,
    });
    this.#requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Requests by type and result (ok or the error code)',
      labelNames: ['type', 'result'],
      registers,
    });
    this.#requestTime = new Histogram({
      name: `${PREFIX}request_seconds`,
      help: 'Time to answer a request, by type',
      labelNames: ['type'],
      buckets: [...METRICS_TIME_BUCKETS],
      registers,
    });
    this.#logins = new Counter({
      name: `${PREFIX}logins_total`,
      help: 'Logins and registrations by result (ok or the error code)',
      labelNames: ['result'],
      registers,
    });
    this.#poolTime = new Histogram({
      name: `${PREFIX}worker_pool_task_seconds`,
      help: 'Worker-pool task time (queue wait included), by task',
      labelNames: ['task'],
      buckets: [...METRICS_TIME_BUCKETS],
      registers,
    });
    this.#dbTime = new Histogram({
      name: `${PREFIX}db_query_seconds`,
      help: 'Database query time',
      buckets: [...METRICS_TIME_BUCKETS],
      registers,
    });
  }

  /** Where the gauges read from (set once the server's parts exist). */
  setSources(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Counts what happens in `room` until it closes. */
  watchRoom(room: Room): void {
    const frames = this.#frames;
    const bytes = this.#bytes;
    const latency = this.#relayLatency;
    room.observer.on('frameIn', (kind, _sender, frame) => {
      frames[kind]++;
      bytes[kind] += frame.length;
    });
    room.observer.on('written', (kind, ns) => latency.observe(kind, ns / 1e9));
    room.observer.on('dropped', (kind: MediaLinkKind, reason: DropReason) => {
      const key = `${kind}/${reason}`;
      this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + 1);
    });
  }

  /** One answered request; `type` must be a known request type (bounded label values). */
  request(type: string, result: string, seconds: number): void {
    this.#requests.inc({ type, result });
    this.#requestTime.observe({ type }, seconds);
    if (type === 'login' || type === 'register' || type === 'handoff') this.#logins.inc({ result });
  }

  poolTask(task: string, seconds: number): void {
    this.#poolTime.observe({ task }, seconds);
  }

  dbQuery(seconds: number): void {
    this.#dbTime.observe(seconds);
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
