/**
 * The long fuzzing run (issue "Hostile clients", point 2): the generators of test/helpers/fuzzCases.ts
 * on every kind of link (control before and after login, audio, video) against a real server in a
 * child process of its own, so that a crash is seen as the child's exit. Prints cases per second as
 * it goes and a summary at the end (cases, crashes, violations, replies by error code), then checks
 * that a real meeting still works on the same server.
 *
 *   node dist/bench/fuzz.js [--cases 1000000] [--seconds N] [--seed S] [--lanes 2] [--batch 50]
 *
 * Exits 0 only when the server never exited, logged no error, broke no rule and served the meeting
 * afterwards. Violations are written in full (hex inputs) to a findings file, the first few printed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeetingServer } from '../server/MeetingServer';
import { createLogger } from '../server/logger';
import {
  Fuzzer,
  checkMeetingWorks,
  laneSummary,
  outcomeSummary,
  type Violation,
} from '../test/helpers/fuzzRunner';

/** Exit code of the server child when a fault escaped to its process. */
const CRASH_EXIT = 70;

interface Options {
  cases: number;
  seconds: number;
  seed: number;
  lanes: number;
  batch: number;
  /** Seconds between progress lines. */
  every: number;
  findings: string;
}

type ChildMessage =
  { type: 'listening'; port: number } | { type: 'usage'; rss: number; cpuMicros: number };

function parseArgs(argv: string[]): Options {
  const seed = Math.floor(Math.random() * 0x7fff_ffff);
  const o: Options = {
    cases: 1_000_000,
    seconds: Infinity,
    seed,
    lanes: 2,
    batch: 50,
    every: 10,
    findings: path.join(os.tmpdir(), `meeting-fuzz-findings-${seed}.txt`),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    const number = Number(value);
    const numeric: Partial<Record<string, keyof Options>> = {
      '--cases': 'cases',
      '--seconds': 'seconds',
      '--seed': 'seed',
      '--lanes': 'lanes',
      '--batch': 'batch',
      '--every': 'every',
    };
    const key = numeric[flag];
    if (key && Number.isFinite(number) && number > 0) {
      (o as unknown as Record<string, number>)[key] = number;
      if (key === 'seed')
        o.findings = path.join(os.tmpdir(), `meeting-fuzz-findings-${number}.txt`);
      i++;
    } else if (flag === '--findings' && value) {
      o.findings = value;
      i++;
    } else {
      throw new TypeError(`unknown or bad argument '${flag}' (see the header of bench/fuzz.ts)`);
    }
  }
  return o;
}

// ---- the server child ----------------------------------------------------------------------------

/** A real MeetingServer with default limits; any fault that reaches the process ends it. */
async function serverChild(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-fuzz-'));
  const server = new MeetingServer({ dataDir: dir, logger: createLogger('error'), plain: true });
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (error: unknown) => {
      process.stderr.write(`${event}: ${error instanceof Error ? error.stack : String(error)}\n`);
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(CRASH_EXIT);
    });
  }
  const { port } = await server.listen(0, '127.0.0.1');
  const send = (m: ChildMessage): void => void process.send?.(m);
  send({ type: 'listening', port });
  setInterval(() => {
    const cpu = process.cpuUsage();
    send({ type: 'usage', rss: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system });
  }, 1000);
  process.on('disconnect', () => {
    void server.close().finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

// ---- the orchestrator ----------------------------------------------------------------------------

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

class ServerProcess {
  readonly child: ChildProcess;
  /** Exit code or signal, once the child has exited. */
  exit: string | null = null;
  stderr = '';
  errorLines: string[] = [];
  errorCount = 0;
  rss = 0;
  peakRss = 0;
  cpuMicros = 0;
  readonly exited: Promise<void>;

  constructor() {
    this.child = fork(__filename, ['--server-child'], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, MEETING_LOG_LEVEL: 'error' },
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = signal ?? String(code);
        resolve();
      }),
    );
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        this.errorCount++;
        if (this.errorLines.length < 5) this.errorLines.push(line.slice(0, 1000));
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += chunk.toString();
    });
    this.child.on('message', (m: ChildMessage) => {
      if (m.type !== 'usage') return;
      this.rss = m.rss;
      this.peakRss = Math.max(this.peakRss, m.rss);
      this.cpuMicros = m.cpuMicros;
    });
  }

  port(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.on('message', (m: ChildMessage) => {
        if (m.type === 'listening') resolve(m.port);
      });
      void this.exited.then(() =>
        reject(new Error(`server exited (${this.exit}): ${this.stderr}`)),
      );
    });
  }
}

function writeFinding(file: string, v: Violation): void {
  fs.appendFileSync(
    file,
    `${v.link} ${v.gen}: ${v.rule}\n  reply: ${v.detail}\n  input (hex): ${v.input}\n\n`,
  );
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const server = new ServerProcess();
  const port = await server.port();
  fs.rmSync(o.findings, { force: true });
  let printed = 0;
  const fuzzer = new Fuzzer({
    port,
    seed: o.seed,
    lanesPerLink: o.lanes,
    batchSize: o.batch,
    keepViolations: 200,
    onViolation: (v) => {
      if (printed++ < 10) console.log(`  violation: ${v.link} ${v.gen}: ${v.rule}`);
      // The first few of each rule in full; a repeated fault would fill the disk otherwise.
      if ((fuzzer.violationCounts[v.rule] ?? 0) <= 20) writeFinding(o.findings, v);
    },
  });
  console.log(
    `fuzz: seed ${o.seed}, ${fmt(o.cases)} cases` +
      (Number.isFinite(o.seconds) ? ` or ${o.seconds} s` : '') +
      `, ${o.lanes} lane(s) per link kind, batches of ${o.batch}; server pid ${server.child.pid} on port ${port}`,
  );
  await fuzzer.setUp();

  const start = performance.now();
  const until = Number.isFinite(o.seconds) ? Date.now() + o.seconds * 1000 : Infinity;
  let last = { at: start, cases: 0, cpu: server.cpuMicros };
  const progress = setInterval(() => {
    const now = performance.now();
    const cases = fuzzer.cases;
    const rate = ((cases - last.cases) / (now - last.at)) * 1000;
    const cpu = ((server.cpuMicros - last.cpu) / 1000 / (now - last.at)) * 100;
    const perLink = ['anon', 'session', 'audio', 'video']
      .map(
        (l) =>
          `${l} ${fmt(fuzzer.stats.filter((s) => s.link === l).reduce((n, s) => n + s.cases, 0))}`,
      )
      .join(', ');
    console.log(
      `[${((now - start) / 1000).toFixed(0).padStart(5)} s] ${fmt(cases).padStart(10)} cases ` +
        `${fmt(rate).padStart(6)}/s (${perLink}); server ${(server.rss / 2 ** 20).toFixed(0)} MB, ` +
        `CPU ${cpu.toFixed(0)} %`,
    );
    last = { at: now, cases, cpu: server.cpuMicros };
  }, o.every * 1000);

  let runError: unknown = null;
  await Promise.race([
    fuzzer.run(o.cases, until).catch((e: unknown) => (runError = e)),
    server.exited,
  ]);
  clearInterval(progress);
  const seconds = (performance.now() - start) / 1000;
  // A lane still writing when the server died fails on its next connect: let it settle.
  if (server.exit !== null) await new Promise((r) => setTimeout(r, 200));

  let meeting = 'not checked (the server is gone)';
  if (server.exit === null) {
    try {
      await checkMeetingWorks(port);
      meeting = 'ok: two new clients registered, met, chatted and exchanged an audio frame';
    } catch (error) {
      meeting = `FAILED: ${(error as Error).message}`;
    }
  }
  await fuzzer.tearDown().catch(() => undefined);

  const total = fuzzer.cases;
  console.log('');
  console.log(`fuzz summary (seed ${o.seed}):`);
  console.log(`  ${fmt(total)} cases in ${seconds.toFixed(1)} s: ${fmt(total / seconds)} cases/s`);
  for (const line of laneSummary(fuzzer.stats)) console.log(`  ${line}`);
  const crashed = server.exit !== null;
  console.log(`  crashes: ${crashed ? `1: the server exited (${server.exit})` : 0}`);
  if (crashed) {
    console.log('  the batches in flight are in the findings file ("the link closed…")');
    if (server.stderr) console.log(`  server stderr:\n${server.stderr}`);
  }
  if (runError) console.log(`  the run stopped: ${(runError as Error).message}`);
  console.log(`  server error log lines: ${server.errorCount}`);
  for (const line of server.errorLines) console.log(`    ${line}`);
  console.log(
    `  server RSS at the end ${(server.rss / 2 ** 20).toFixed(0)} MB, peak ${(server.peakRss / 2 ** 20).toFixed(0)} MB`,
  );
  const counts = Object.entries(fuzzer.violationCounts);
  console.log(
    `  violations: ${counts.length ? counts.map(([k, n]) => `${k} × ${fmt(n)}`).join('; ') : 'none'}`,
  );
  if (counts.length) console.log(`  findings (hex inputs): ${o.findings}`);
  console.log('  replies and events by outcome:');
  for (const [outcome, n] of outcomeSummary(fuzzer.stats))
    console.log(`    ${outcome.padEnd(34)} ${fmt(n).padStart(10)}`);
  console.log(`  real meeting afterwards: ${meeting}`);

  const ok =
    !crashed &&
    !runError &&
    server.errorCount === 0 &&
    counts.length === 0 &&
    meeting.startsWith('ok');
  server.child.disconnect();
  await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5000))]);
  if (server.exit === null) server.child.kill('SIGKILL');
  process.exit(ok ? 0 : 1);
}

if (process.argv.includes('--server-child')) void serverChild();
else
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
