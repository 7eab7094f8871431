/**
 * A real MeetingServer for a bench child: SQLite in a temp folder, logs silent, and limits that let
 * hundreds of bots on one loopback address in (nothing but the protocol's). `close()` shuts it
 * down, removes the folder and ends the process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeetingServer } from '../../server/MeetingServer';
import type { ServerLimits } from '../../server/limits';
import { createLogger } from '../../server/logger';

const UNLIMITED = { perMinute: 1e9, burst: 1e9 };

/** The abuse limits lifted: a bench's bots all come from 127.0.0.1 at once. */
export const BENCH_LIMITS: Partial<ServerLimits> = {
  connectionsPerAddress: Number.MAX_SAFE_INTEGER,
  registerRate: UNLIMITED,
  loginRate: UNLIMITED,
  registrationsInFlight: Number.MAX_SAFE_INTEGER,
  joinRate: UNLIMITED,
  joinAddressRate: UNLIMITED,
};

export interface BenchServer {
  server: MeetingServer;
  /** Closes the server, removes its folder and exits the process (idempotent enough to call twice). */
  close(): void;
}

/** `plain`: no TLS (the default; the relay bench runs both and compares). */
export function benchServer(tempPrefix: string, { plain = true } = {}): BenchServer {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix));
  const server = new MeetingServer({
    dataDir,
    logger: createLogger('silent'),
    limits: BENCH_LIMITS,
    plain,
    // BENCH_METRICS=1: the server keeps its Prometheus metrics (what they cost the relay).
    ...(process.env.BENCH_METRICS === '1' ? { metricsPort: 0 } : {}),
  });
  const close = (): void => {
    void server
      .close()
      .catch(() => undefined)
      .finally(() => {
        fs.rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
  };
  return { server, close };
}
