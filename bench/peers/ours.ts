/**
 * The peers bench's child for our server: a real MeetingServer on 127.0.0.1 (bench limits, SQLite
 * in a temp folder, logs silent), nothing watching it; the orchestrator reads its CPU and RSS from
 * /proc, as for the other targets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeetingServer } from '../../server/MeetingServer';
import { BENCH_LIMITS } from '../../server/limits';
import { createLogger } from '../../server/logger';
import { reply, runChild } from './protocol';

async function runOurs(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-ours-'));
  const server = new MeetingServer({
    dataDir,
    logger: createLogger('silent'),
    limits: BENCH_LIMITS,
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
  process.on('SIGTERM', close);
  process.removeAllListeners('disconnect');
  process.on('disconnect', close);
  const { port } = await server.listen(0, '127.0.0.1');
  reply({ type: 'ready', port });
}

if (require.main === module) runChild(runOurs);
