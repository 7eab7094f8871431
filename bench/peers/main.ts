/**
 * Peers bench, the orchestrator (run by hand; bench/README.md has the figures):
 *
 *   node dist/bench/peers/main.js [--rooms 2] [--speakers 4] [--seconds 8] [--rounds 2]
 *
 * The same audio load (rooms × speakers, 80-byte payloads every 20 ms, every speaker heard by every
 * other member of its room) against three servers, alternating, for several rounds:
 *   ours    a real MeetingServer in a child process (ours.ts), no TLS
 *   murmur  Debian's murmur 1.3.4, one instance per room (murmur.ts), TLS + UDPTunnel voice
 *   bare    a bare Node fan-out (bare.ts): read a length-prefixed frame, write it to the others
 * Clients run in one or two bot processes (bot.ts), so the server's CPU is its own; it is read from
 * /proc/<pid>/stat (utime + stime, all threads) around the measured window, the same way for all
 * three. End-to-end latency is from the probe in each payload (CLOCK_MONOTONIC µs, shared by every
 * process on the host). Losses are counted over the whole run after the receivers drained:
 * frames sent × (speakers − 1) − frames received.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generate } from 'selfsigned';
import { Histogram, calibrate, hostTicks, sleep, wakeupLatenessP99, MB } from '../relay/stats';
import { Murmur } from './murmur';
import {
  DEFAULT_TARGETS,
  forkChild,
  TARGET_SPECS,
  TARGETS,
  WARMUP_MS,
  type BotCommand,
  type BotReply,
  type ServerReply,
  type Target,
} from './protocol';

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** user + system CPU of a process (all its threads), ms. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Write-type system calls (write, writev, …) a process made so far, all its threads. */
function writeCalls(pid: number): number {
  const match = /syscw:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

/** Resident set of a process, bytes. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** One server under test: its processes and how to stop them. */
interface Running {
  pids: number[];
  ports: number[];
  /** Our server's certificate to pin, when it runs TLS of its own. */
  fingerprint: string | null;
  stop(): Promise<void>;
}

/** Options of the whole invocation that the runs need. */
interface RunOptions {
  cpuProfDir: string | undefined;
  /** The compiled tree (dist/) of another build, for the ours-base target. */
  baseline: string | undefined;
}

async function startTarget(target: Target, rooms: number, options: RunOptions): Promise<Running> {
  const { cpuProfDir } = options;
  const { server, tls } = TARGET_SPECS[target];
  if (server === 'murmur') {
    const instances: Murmur[] = [];
    try {
      for (let r = 0; r < rooms; r++) instances.push(await Murmur.start());
    } catch (error) {
      await Promise.all(instances.map((m) => m.stop()));
      throw error;
    }
    return {
      pids: instances.map((m) => m.pid),
      ports: instances.map((m) => m.port),
      fingerprint: null,
      stop: async () => {
        await Promise.all(instances.map((m) => m.stop()));
      },
    };
  }
  const execArgv = cpuProfDir
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        cpuProfDir,
        '--cpu-prof-name',
        `${target}-${Date.now()}.cpuprofile`,
      ]
    : [];
  // A build without TLS of its own (before issue 11: no client/trust.js) gets it from the shim.
  if (
    tls &&
    target === 'ours-base-tls' &&
    !fs.existsSync(path.join(options.baseline ?? '', 'client', 'trust.js'))
  )
    execArgv.push('--require', path.join(__dirname, 'tlsShim.js'));
  const child = forkChild<never, ServerReply>(
    server,
    tls ? ['--tls'] : [],
    execArgv,
    target.startsWith('ours-base') ? options.baseline : undefined,
  );
  try {
    const { port, fingerprint } = await child.request(null, 'ready', 20_000);
    return {
      pids: [child.process.pid!],
      ports: [port],
      fingerprint: fingerprint ?? null,
      stop: () => {
        child.process.kill('SIGTERM');
        return child.end(null, 10_000);
      },
    };
  } catch (error) {
    await child.end(null, 1_000);
    throw error;
  }
}

interface RunResult {
  target: Target;
  /** rooms×speakers */
  load: string;
  round: number;
  seconds: number;
  sentPerSec: number;
  deliveredPerSec: number;
  /** Server CPU over the window, % of one core. */
  serverCpu: number;
  microsPerFrame: number;
  /** The server's write system calls per delivered frame (1 = one write per frame and receiver). */
  writesPerFrame: number;
  e2eP50ms: number;
  e2eP99ms: number;
  rssMB: number;
  /** The bot processes' CPU over the window, % of one core (the two cores are shared). */
  botsCpu: number;
  /**
   * Everything else on the host over the window, % of one core: other processes (this machine is
   * shared), not softirq (mostly the loopback traffic of the bench itself).
   */
  otherCpu: number;
  /** Over the whole run, after draining: sent × (speakers − 1) − received. */
  lost: number;
  /** Sequence gaps seen by receivers in the window. */
  missing: number;
}

async function runTarget(
  target: Target,
  round: number,
  load: Load,
  seconds: number,
  options: RunOptions,
): Promise<RunResult> {
  const { rooms, speakers } = load;
  const server = await startTarget(target, rooms, options);
  const processes = Math.min(2, rooms);
  const bots = Array.from({ length: processes }, () => forkChild<BotCommand, BotReply>('bot'));
  let stopped = false;
  try {
    await Promise.all(
      bots.map((b, p) =>
        b.request(
          {
            type: 'setup',
            target,
            tls: TARGET_SPECS[target].tls,
            fingerprint: server.fingerprint,
            ports: server.ports,
            rooms: Array.from({ length: rooms }, (_, r) => r).filter((r) => r % processes === p),
            speakers,
          },
          'ready',
          30_000 + rooms * speakers * 500,
        ),
      ),
    );
    await Promise.all(bots.map((b) => b.request({ type: 'start' }, 'started', 10_000)));
    await sleep(WARMUP_MS);
    await Promise.all(bots.map((b) => b.request({ type: 'measure-start' }, 'started', 10_000)));
    const cpuBefore = server.pids.reduce((a, pid) => a + cpuMs(pid), 0);
    const writesBefore = server.pids.reduce((a, pid) => a + writeCalls(pid), 0);
    const hostBefore = hostTicks();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpuAfter = server.pids.reduce((a, pid) => a + cpuMs(pid), 0);
    const writes = server.pids.reduce((a, pid) => a + writeCalls(pid), 0) - writesBefore;
    const hostAfter = hostTicks();
    const wallMs = performance.now() - t0;
    const rss = server.pids.reduce((a, pid) => a + rssBytes(pid), 0);
    const stats = (
      await Promise.all(bots.map((b) => b.request({ type: 'measure-end' }, 'stats', 10_000)))
    ).map((r) => r.stats);
    const totals = (
      await Promise.all(bots.map((b) => b.request({ type: 'stop' }, 'stopped', 15_000)))
    ).map((r) => r.totals);
    stopped = true;
    const e2e = new Histogram();
    for (const s of stats) e2e.add(Histogram.from(s.e2eMicros));
    const window = wallMs / 1000;
    const delivered = stats.reduce((a, s) => a + s.received, 0) / window;
    const serverCpu = (100 * (cpuAfter - cpuBefore)) / wallMs;
    const botsCpu = (100 * stats.reduce((a, s) => a + s.cpuMs, 0)) / wallMs;
    return {
      target,
      load: loadName(load),
      round,
      seconds: window,
      sentPerSec: stats.reduce((a, s) => a + s.sent, 0) / window,
      deliveredPerSec: delivered,
      serverCpu,
      microsPerFrame: (serverCpu * 1e4) / delivered,
      writesPerFrame: writes / (delivered * window),
      e2eP50ms: e2e.percentile(50) / 1000,
      e2eP99ms: e2e.percentile(99) / 1000,
      rssMB: rss / MB,
      botsCpu,
      otherCpu: Math.max(
        0,
        (100 *
          os.cpus().length *
          (hostAfter.busy - hostAfter.softirq - (hostBefore.busy - hostBefore.softirq))) /
          (hostAfter.total - hostBefore.total) -
          serverCpu -
          botsCpu,
      ),
      lost: totals.reduce((a, t) => a + t.sent * (speakers - 1) - t.received, 0),
      missing: stats.reduce((a, s) => a + s.missing, 0),
    };
  } finally {
    if (!stopped) await Promise.all(bots.map((b) => b.end({ type: 'stop' }, 5_000)));
    await Promise.all(bots.map((b) => b.end(null, 5_000)));
    await server.stop();
  }
}

const COLUMNS: Array<[title: string, width: number, cell: (r: RunResult) => string]> = [
  ['target', 8, (r) => r.target],
  ['load', 5, (r) => r.load],
  ['round', 5, (r) => String(r.round)],
  ['sent/s', 7, (r) => r.sentPerSec.toFixed(0)],
  ['deliv/s', 8, (r) => r.deliveredPerSec.toFixed(0)],
  ['srv CPU%', 8, (r) => r.serverCpu.toFixed(1)],
  ['µs/frame', 8, (r) => r.microsPerFrame.toFixed(1)],
  ['frames/s/core', 13, (r) => (1e6 / r.microsPerFrame).toFixed(0)],
  ['writes/frame', 12, (r) => r.writesPerFrame.toFixed(2)],
  ['e2e p50ms', 9, (r) => r.e2eP50ms.toFixed(2)],
  ['e2e p99ms', 9, (r) => r.e2eP99ms.toFixed(2)],
  ['RSS MB', 7, (r) => r.rssMB.toFixed(1)],
  ['bots CPU%', 9, (r) => r.botsCpu.toFixed(0)],
  ['other CPU%', 10, (r) => r.otherCpu.toFixed(0)],
  ['lost', 5, (r) => String(r.lost)],
  ['gaps', 5, (r) => String(r.missing)],
];

const line = (cells: string[]): string => cells.join(' ');
const header = (): string => line(COLUMNS.map(([t, w]) => t.padStart(w)));
const row = (r: RunResult): string => line(COLUMNS.map(([, w, cell]) => cell(r).padStart(w)));

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One load: rooms × speakers. */
interface Load {
  rooms: number;
  speakers: number;
}

const loadName = (l: Load): string => `${l.rooms}×${l.speakers}`;
const streams = (l: Load): number => l.rooms * l.speakers * (l.speakers - 1);

/** Ratios printed for every pair whose both sides ran: [numerator, denominator]. */
const RATIOS: Array<[Target, Target]> = [
  ['ours', 'ours-base'],
  ['ours', 'murmur'],
  ['ours', 'bare'],
  ['ours-base', 'murmur'],
  ['ours-base', 'bare'],
  ['ours-tls', 'ours-base-tls'],
  ['ours-tls', 'murmur'],
  ['ours-tls', 'bare-tls'],
  ['ours-tls', 'ours'],
  ['ours-base-tls', 'murmur'],
  ['ours-base-tls', 'bare-tls'],
  ['bare-tls', 'murmur'],
];

function meanOf(target: Target, rs: RunResult[]): RunResult {
  return {
    target,
    load: rs[0]!.load,
    round: rs.length,
    seconds: mean(rs.map((r) => r.seconds)),
    sentPerSec: mean(rs.map((r) => r.sentPerSec)),
    deliveredPerSec: mean(rs.map((r) => r.deliveredPerSec)),
    serverCpu: mean(rs.map((r) => r.serverCpu)),
    microsPerFrame: mean(rs.map((r) => r.microsPerFrame)),
    writesPerFrame: mean(rs.map((r) => r.writesPerFrame)),
    e2eP50ms: mean(rs.map((r) => r.e2eP50ms)),
    e2eP99ms: mean(rs.map((r) => r.e2eP99ms)),
    rssMB: mean(rs.map((r) => r.rssMB)),
    botsCpu: mean(rs.map((r) => r.botsCpu)),
    otherCpu: mean(rs.map((r) => r.otherCpu)),
    lost: rs.reduce((a, r) => a + r.lost, 0),
    missing: rs.reduce((a, r) => a + r.missing, 0),
  };
}

/** The host's yardsticks: a fixed CPU loop (ms) and an idle 1 ms timer's lateness at p99 (ms). */
async function hostLine(): Promise<string> {
  return (
    `calibration loop ${calibrate().toFixed(0)} ms, idle 1 ms timer late by ` +
    `${(await wakeupLatenessP99()).toFixed(2)} ms at p99, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

/** Parses the command line and runs every target `rounds` times per load, alternating. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rooms: { type: 'string', default: '2' },
      speakers: { type: 'string', default: '4' },
      loads: { type: 'string' },
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      targets: { type: 'string', default: DEFAULT_TARGETS.join(',') },
      'cpu-prof': { type: 'string' },
      baseline: { type: 'string' },
      data: { type: 'string' },
    },
  });
  const int = (name: string, value: string, min: number, max: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new TypeError(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const loads: Load[] = (values.loads ?? `${values.rooms}x${values.speakers}`)
    .split(',')
    .map((text) => {
      const [r, m, extra] = text.split(/[x×]/);
      if (r === undefined || m === undefined || extra !== undefined)
        throw new TypeError(`--loads: ${text} is not ROOMSxSPEAKERS`);
      return { rooms: int('rooms', r, 1, 32), speakers: int('speakers', m, 2, 16) };
    });
  const seconds = int('seconds', values.seconds, 1, 120);
  const rounds = int('rounds', values.rounds, 1, 10);
  const targets = values.targets.split(',').map((t) => {
    if (!(TARGETS as readonly string[]).includes(t))
      throw new TypeError(`--targets: unknown target ${t} (${TARGETS.join(', ')})`);
    return t as Target;
  });
  const cpuProfDir = values['cpu-prof'];
  if (cpuProfDir) fs.mkdirSync(cpuProfDir, { recursive: true });
  const baseline = values.baseline;
  if (targets.some((t) => t.startsWith('ours-base')) !== (baseline !== undefined))
    throw new TypeError('--baseline DIST goes with the ours-base targets, and only with them');
  if (targets.some((t) => TARGET_SPECS[t].tls && TARGET_SPECS[t].server !== 'murmur')) {
    // One self-signed certificate for every TLS server child (they inherit the environment).
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    process.env.BENCH_TLS_KEY = pems.private;
    process.env.BENCH_TLS_CERT = pems.cert;
  }
  if (baseline && !fs.existsSync(path.join(baseline, 'bench', 'peers', 'ours.js')))
    throw new TypeError(`--baseline: no bench/peers/ours.js under ${baseline}`);
  const options: RunOptions = { cpuProfDir, baseline };
  process.once('SIGINT', () => process.exit(130));
  const started = performance.now();
  console.log(
    `peers: ${loads.map((l) => `${loadName(l)} (${streams(l)} receiver-streams, ${streams(l) * 50} frames/s nominal)`).join(', ')}; ` +
      `${targets.join(', ')}; ${seconds} s windows, ${rounds} rounds`,
  );
  console.log(`host before: ${await hostLine()}`);
  console.log(header());
  const results: RunResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const load of loads) {
      // Each round starts with a different target, so none always runs first or last.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
      for (const target of order) {
        const r = await runTarget(target, round, load, seconds, options);
        results.push(r);
        console.log(row(r));
      }
    }
  }
  console.log(`host after: ${await hostLine()}`);
  console.log(
    `\nmeans over the rounds (${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
  );
  console.log(header());
  const means: RunResult[] = [];
  for (const load of loads) {
    const byTarget = new Map<Target, RunResult>();
    for (const target of targets) {
      const m = meanOf(
        target,
        results.filter((r) => r.target === target && r.load === loadName(load)),
      );
      byTarget.set(target, m);
      means.push(m);
      console.log(row(m));
    }
    for (const [a, b] of RATIOS) {
      const x = byTarget.get(a);
      const y = byTarget.get(b);
      if (!x || !y) continue;
      console.log(
        `  ${loadName(load)} ${a} ÷ ${b}: CPU per delivered frame ${(x.microsPerFrame / y.microsPerFrame).toFixed(2)}×, ` +
          `e2e p50 ${(x.e2eP50ms / y.e2eP50ms).toFixed(2)}×, p99 ${(x.e2eP99ms / y.e2eP99ms).toFixed(2)}×, ` +
          `RSS ${(x.rssMB / y.rssMB).toFixed(2)}×`,
      );
    }
  }
  if (values.data) {
    // For bench/peers/plot.gp: one line per run, then one per target and load (the means).
    const fields = (kind: string, r: RunResult): string =>
      [
        kind,
        r.target,
        r.load,
        r.serverCpu,
        r.deliveredPerSec,
        r.microsPerFrame,
        r.writesPerFrame,
        r.e2eP50ms,
        r.e2eP99ms,
        r.rssMB,
      ]
        .map((v) => (typeof v === 'number' ? v.toFixed(3) : v))
        .join('\t');
    const head =
      '# kind target load serverCpuPercent deliveredPerSec microsPerFrame writesPerFrame e2eP50ms e2eP99ms rssMB';
    fs.writeFileSync(
      values.data,
      [head, ...results.map((r) => fields('run', r)), ...means.map((r) => fields('mean', r))].join(
        '\n',
      ) + '\n',
    );
    console.log(`runs and means written to ${values.data}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
