/**
 * The peers bench's child for our server: a real MeetingServer on 127.0.0.1 (bench limits, SQLite
 * in a temp folder, logs silent), nothing watching it; the orchestrator reads its CPU and RSS from
 * /proc, as for the other targets.
 */
import { benchServer } from '../lib/benchServer';
import { reply, runChild } from './protocol';

async function runOurs(): Promise<void> {
  // `--tls` (the ours-tls targets): main.ts loads tlsShim.ts with --require, which turns the
  // server's listening socket into a TLS one; nothing to do here until our server has TLS itself.
  const { server, close } = benchServer('bench-peers-ours-');
  process.on('SIGTERM', close);
  process.removeAllListeners('disconnect');
  process.on('disconnect', close);
  const { port } = await server.listen(0, '127.0.0.1');
  reply({ type: 'ready', port });
}

if (require.main === module) runChild(runOurs);
