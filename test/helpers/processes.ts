/**
 * `meeting server` as an operator runs it: a child process of bin/meeting.js on port 0, its
 * addresses read from what it prints, so tests can signal it (SIGTERM, SIGKILL) for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  metricsPort: number | null;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Resolves when it exits: status, signal, and ms from `since` (default: the call). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGKILL unless it exited already. */
  kill(): void;
}

export function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
  ms = 30_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MEETING_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${ms} ms; printed:\n${out}`));
    }, ms);
    let port = 0;
    let metricsPort: number | null = null;
    const wantsMetrics = args.includes('--metrics-port');
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      port ||= Number(/listening on \S+:(\d+)/.exec(out)?.[1] ?? 0);
      const m = /metrics on http:\/\/\S+:(\d+)\//.exec(out);
      if (m) metricsPort = Number(m[1]);
      if (port && (!wantsMetrics || metricsPort)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
        resolve({
          child,
          port,
          metricsPort,
          output: () => out,
          exited,
          kill: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!port) reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

/** GET `path` on 127.0.0.1:`port`; resolves with the status and body. */
export async function httpGet(
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one sample in Prometheus exposition text (`name{a="b",…}`), or 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}
