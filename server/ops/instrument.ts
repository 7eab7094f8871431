/**
 * Wraps the request dispatcher with what operations need, without touching the handlers: a request
 * id and the member id on every log line written while the request runs (AsyncLocalStorage, read
 * by the logger's mixin), counts and timings by type and result, and the number of requests in
 * flight so a graceful shutdown can wait for them.
 */
import { RequestSchemas } from '../../common/protocol';
import type { Connection, Dispatcher } from '../Connection';
import type { Logger } from '../logger';
import { requestContext, type RequestContext } from './requestContext';
import type { ServerMetrics } from './ServerMetrics';

export interface InstrumentOptions {
  logger: Logger;
  metrics: ServerMetrics | null;
  /** The member id (session id) a link's requests act for, if logged in. */
  memberOf: (connection: Connection) => number | undefined;
  /** Prefix of request ids (the node id in a cluster). */
  prefix: string;
}

export interface Instrumented {
  dispatch: Dispatcher;
  /** Requests being served now. */
  readonly inFlight: number;
  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void>;
}

export function instrumentDispatcher(inner: Dispatcher, options: InstrumentOptions): Instrumented {
  let next = 0;
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const { logger, metrics, memberOf } = options;
  const dispatch: Dispatcher = async (connection, type, data) => {
    const ctx: RequestContext = { reqId: `${options.prefix}${(++next).toString(36)}` };
    const memberId = memberOf(connection);
    if (memberId !== undefined) ctx.memberId = memberId;
    // A client chooses `type`: only known types become label values (bounded cardinality).
    const label = Object.hasOwn(RequestSchemas, type) ? type : 'unknown';
    inFlight++;
    const started = performance.now();
    try {
      return await requestContext.run(ctx, async () => {
        const reply = await inner(connection, type, data);
        // A login's member id is known only now.
        ctx.memberId ??= memberOf(connection);
        const result = reply.ok ? 'ok' : reply.error.code;
        const ms = performance.now() - started;
        metrics?.request(label, result, ms / 1000);
        logger.debug({ type: label, result, ms: Math.round(ms * 10) / 10 }, 'request');
        return reply;
      });
    } finally {
      inFlight--;
      if (inFlight === 0 && waiters.length > 0) {
        const done = waiters;
        waiters = [];
        for (const w of done) w();
      }
    }
  };
  return {
    dispatch,
    get inFlight() {
      return inFlight;
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r))),
  };
}
