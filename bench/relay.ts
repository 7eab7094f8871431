/**
 * Relay load benchmark: the documented entry (`node dist/bench/relay.js`, bench/README.md). The
 * bench lives in bench/relay/: main.ts (orchestrator), server.ts and bot.ts (the children),
 * stats.ts and protocol.ts.
 */
import { main } from './relay/main';

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
