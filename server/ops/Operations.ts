/**
 * What an operator needs from one node, kept out of the request and media paths it watches:
 * Prometheus metrics and the health port (when `metricsPort` is set), the request wrapper (ids on
 * log lines, counts, in-flight tracking), and the drain of a graceful shutdown. Owned by
 * MeetingServer, closed with it.
 */
import type net from 'node:net';
import { METRICS_DEFAULT_HOST } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import type { Connection, Dispatcher } from '../Connection';
import type { Logger } from '../logger';
import type { Room } from '../Room';
import { instrumentDispatcher, type Instrumented } from './instrument';
import { OpsHttp } from './OpsHttp';
import { ServerMetrics, type MetricsSources } from './ServerMetrics';
import { watchDatabase } from './watchDatabase';
import type { Knex } from 'knex';

export interface OperationsOptions {
  logger: Logger;
  /** Port of /metrics, /healthz and /readyz (0: any free port); undefined: no metrics at all. */
  metricsPort?: number;
  metricsHost?: string;
  /** Prefix of request ids in the logs (the node id in a cluster). */
  requestIdPrefix?: string;
}

/** Requests still answered while draining (the rest get ERR_SHUTTING_DOWN). */
const WHILE_DRAINING = new Set(['ping', 'logout', 'leaveMeeting']);

export class Operations {
  /** Null unless a metrics port was asked for: then nothing watches the relay. */
  readonly metrics: ServerMetrics | null;
  readonly #options: OperationsOptions;
  #http: OpsHttp | null = null;
  #instrumented: Instrumented | null = null;
  #draining = false;
  #closed = false;

  constructor(options: OperationsOptions) {
    this.#options = options;
    this.metrics = options.metricsPort !== undefined ? new ServerMetrics() : null;
  }

  /** True once a graceful shutdown began. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#instrumented?.inFlight ?? 0;
  }

  /** The worker pool's task hook (undefined without metrics). */
  poolHook(): ((task: string, seconds: number) => void) | undefined {
    const m = this.metrics;
    return m ? (task, seconds) => m.poolTask(task, seconds) : undefined;
  }

  /** Connects the gauges and the database timer to the server's parts. */
  watch(sources: MetricsSources, knex: Knex): void {
    if (!this.metrics) return;
    this.metrics.setSources(sources);
    const m = this.metrics;
    watchDatabase(knex, (s) => m.dbQuery(s));
  }

  /** Counts what happens in a room (called for every room the node opens). */
  roomOpened(room: Room): void {
    this.metrics?.watchRoom(room);
  }

  /** Wraps the dispatcher: ids on log lines, metrics, in-flight count, refusal while draining. */
  dispatcher(inner: Dispatcher, memberOf: (c: Connection) => number | undefined): Dispatcher {
    const guarded: Dispatcher = (connection, type, data) =>
      this.#draining && !WHILE_DRAINING.has(type)
        ? Promise.resolve({
            ok: false,
            error: { code: ErrorCode.SHUTTING_DOWN, message: 'server is shutting down' },
          })
        : inner(connection, type, data);
    this.#instrumented = instrumentDispatcher(guarded, {
      logger: this.#options.logger,
      metrics: this.metrics,
      memberOf,
      prefix: this.#options.requestIdPrefix ?? '',
    });
    return this.#instrumented.dispatch;
  }

  /** Starts the health and metrics port (if asked for); resolves with its address or null. */
  async listen(notReady: () => string | null): Promise<net.AddressInfo | null> {
    if (!this.metrics || this.#options.metricsPort === undefined) return null;
    this.#http = new OpsHttp({
      metrics: this.metrics,
      notReady: () => (this.#draining ? 'shutting down' : notReady()),
    });
    return this.#http.listen(
      this.#options.metricsPort,
      this.#options.metricsHost ?? METRICS_DEFAULT_HOST,
    );
  }

  /** From now on new requests are refused; resolves once those in flight are answered, or after `ms`. */
  async drain(ms: number): Promise<boolean> {
    this.#draining = true;
    const idle = this.#instrumented?.idle() ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([idle.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#draining = true;
    await this.#http?.close();
  }
}
