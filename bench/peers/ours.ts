/**
 * The peers bench's child for our server: a real MeetingServer on 127.0.0.1 (bench limits, SQLite
 * in a temp folder, logs silent), nothing watching it; the orchestrator reads its CPU and RSS from
 * /proc, as for the other targets.
 */
import { benchServer } from '../lib/benchServer';
import { reply, runChild } from './protocol';

async function runOurs(): Promise<void> {
  // `--tls` (ours-tls): TLS on every link, as deployed (a self-signed pair in the temp folder; the
  // bots pin its fingerprint). A build without TLS of its own (ours-base-tls) gets it from
  // tlsShim.ts instead, loaded by main.ts with --require; this file is then the other build's.
  const tls = process.argv.includes('--tls');
  const { server, close } = benchServer('bench-peers-ours-', { plain: !tls });
  process.on('SIGTERM', close);
  process.removeAllListeners('disconnect');
  process.on('disconnect', close);
  const { port } = await server.listen(0, '127.0.0.1');
  reply({ type: 'ready', port, fingerprint: server.fingerprint });
}

if (require.main === module) runChild(runOurs);
