/**
 * `meeting server`: runs one server (or one node of several) until SIGTERM/SIGINT, which shut it
 * down gracefully within SHUTDOWN_MAX_MS whatever is still pending.
 */
import { CLUSTER_NODE_ID_PATTERN, SHUTDOWN_MAX_MS } from '../common/constants';
import { MeetingServer, type ClusterNodeOptions, type MeetingServerOptions } from './MeetingServer';

export interface ServeOptions {
  host: string;
  port: number;
  db?: string;
  data: string;
  tlsCert?: string;
  tlsKey?: string;
  plain?: boolean;
  /** Seconds a member whose link dropped may come back into its meeting. */
  resumeGrace?: number;
  metricsPort?: number;
  metricsHost?: string;
  /** `redis://…`: run as one node of several. */
  cluster?: string;
  nodeId?: string;
  /** `HOST[:PORT]` other nodes send clients to (default: the listening address). */
  advertise?: string;
  clusterPrefix?: string;
  leaseMs?: number;
}

function clusterOptions(o: ServeOptions): ClusterNodeOptions | undefined {
  if (!o.cluster) return undefined;
  if (!o.db || !/^mysql2?:/.test(o.db))
    throw new TypeError('--cluster needs --db mysql://… (a database every node shares)');
  const nodeId = o.nodeId ?? `${process.pid}`;
  if (!CLUSTER_NODE_ID_PATTERN.test(nodeId))
    throw new TypeError('--node-id: 1-64 letters, digits, dot, dash or underscore');
  let advertise: ClusterNodeOptions['advertise'];
  if (o.advertise) {
    const m = /^(.*?)(?::(\d+))?$/.exec(o.advertise);
    advertise = { host: m?.[1] ?? o.advertise, ...(m?.[2] ? { port: Number(m[2]) } : {}) };
  } else if (o.host === '0.0.0.0' || o.host === '::') {
    throw new TypeError('--advertise HOST[:PORT] is needed when listening on every address');
  }
  return {
    url: o.cluster,
    nodeId,
    ...(advertise ? { advertise } : {}),
    ...(o.clusterPrefix ? { prefix: o.clusterPrefix } : {}),
    ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
  };
}

export async function runServer(
  o: ServeOptions,
  /** Options of features with flags of their own (recording). */
  extra: Partial<MeetingServerOptions> = {},
): Promise<void> {
  const cluster = clusterOptions(o);
  const server = new MeetingServer({
    dbUrl: o.db,
    dataDir: o.data,
    plain: o.plain === true,
    ...(o.tlsCert && o.tlsKey ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
    ...(o.resumeGrace ? { limits: { resumeGraceMs: o.resumeGrace * 1000 } } : {}),
    ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
    ...(o.metricsHost ? { metricsHost: o.metricsHost } : {}),
    ...(cluster ? { cluster } : {}),
    ...extra,
  });
  // Last resort: a fault that no link handler caught is logged and the server keeps serving
  // everyone else (the hostile-input tests check that nothing ever reaches this).
  process.on('unhandledRejection', (reason) =>
    server.logger.fatal({ err: reason }, 'unhandled rejection'),
  );
  process.on('uncaughtException', (error) =>
    server.logger.fatal({ err: error }, 'uncaught exception'),
  );
  const address = await server.listen(o.port, o.host);
  process.stdout.write(
    `meeting server listening on ${address.address}:${address.port} ` +
      `(${server.fingerprint ? `TLS, certificate SHA-256 ${server.fingerprint}` : 'plain TCP'})\n`,
  );
  const metrics = server.metricsAddress;
  if (metrics)
    process.stdout.write(`metrics on http://${metrics.address}:${metrics.port}/metrics\n`);
  const stop = (signal: string): void => {
    server.logger.info({ signal }, 'shutting down');
    // Bounded: whatever hangs (a database that stopped answering), the process ends.
    setTimeout(() => {
      server.logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_MAX_MS).unref();
    void server.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
