/**
 * A private PulseAudio server for audio tests (reusable by any test): null sinks act as virtual
 * speakers and, through their monitor sources, virtual microphones. PortAudio reaches it through
 * ALSA's pulse plugin when a process runs with `server.env` (PULSE_SERVER, XDG_RUNTIME_DIR), and
 * PULSE_SOURCE / PULSE_SINK pick the default devices of that process.
 *
 * Each sink has a low-latency recorder (`pacat`) on its monitor, so the sinks run in 10 ms blocks
 * (see below); tests that count streams should count relative to what is there before they start.
 *
 * Everything lives in a fresh temporary directory (socket, pid file, log); `stop()` kills the
 * daemon by the pid it wrote (and the clients started here by theirs) and removes the directory. When the server cannot start, `start()`
 * throws an error with the daemon's log, so a test fails with the reason instead of skipping.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Options of `startPulseServer`. */
export interface PulseServerOptions {
  /** Null sinks to create (default ['spk', 'micsrc']); `<name>.monitor` is each one's source. */
  sinks?: string[];
  /** Sample rate of the sinks (default 48000). */
  rate?: number;
  /** Channels of the sinks (default 1). */
  channels?: number;
}

/** A running private PulseAudio server. */
export interface PulseServer {
  /** The server's runtime directory (socket in `pulse/native`). */
  dir: string;
  /** Pid of the daemon. */
  pid: number;
  /** Environment that points PulseAudio clients (and PortAudio through ALSA) at this server. */
  env: Record<string, string>;
  /** Runs a command with this server's environment (plus `extraEnv`); resolves with its output. */
  run(
    file: string,
    args: string[],
    extraEnv?: Record<string, string>,
    timeoutMs?: number,
  ): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running client (paplay, parecord, a child node process) with this server's environment. */
  spawn(file: string, args: string[], extraEnv?: Record<string, string>): ChildProcess;
  /** Stops the daemon and removes its directory; idempotent. */
  stop(): Promise<void>;
}

function which(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function execAsync(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a private PulseAudio daemon with null sinks; throws with the reason when it cannot. */
export async function startPulseServer(options: PulseServerOptions = {}): Promise<PulseServer> {
  const sinks = options.sinks ?? ['spk', 'micsrc'];
  const rate = options.rate ?? 48_000;
  const channels = options.channels ?? 1;
  const missing = ['pulseaudio', 'pactl', 'pacat', 'paplay', 'parecord'].filter((c) => !which(c));
  if (missing.length) {
    throw new Error(
      `PulseAudio test server: ${missing.join(', ')} not found (install Debian's pulseaudio and pulseaudio-utils)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-pulse-'));
  fs.chmodSync(dir, 0o700);
  const socket = path.join(dir, 'pulse', 'native');
  const env: Record<string, string> = { XDG_RUNTIME_DIR: dir, PULSE_SERVER: `unix:${socket}` };
  // the daemon gets a private HOME too, so it writes no cookie or state into the real one
  const daemonEnv: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir };
  delete daemonEnv.PULSE_SERVER;
  const log = path.join(dir, 'pulse.log');
  const args = [
    '-D',
    '-n',
    '--exit-idle-time=-1',
    '--use-pid-file=yes',
    `--log-target=file:${log}`,
    '--load=module-native-protocol-unix auth-anonymous=1',
    ...sinks.map(
      (s) =>
        `--load=module-null-sink sink_name=${s} rate=${rate} channels=${channels} format=s16le`,
    ),
  ];
  const readLog = (): string => {
    try {
      return fs.readFileSync(log, 'utf8').trim();
    } catch {
      return '(no log)';
    }
  };
  const fail = (reason: string): never => {
    const text = readLog();
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `PulseAudio test server could not start: ${reason}\n--- pulseaudio log ---\n${text}`,
    );
  };
  try {
    // -D returns once the daemon is up (or failed)
    await execAsync('pulseaudio', args, daemonEnv, 15_000);
  } catch (error) {
    const e = error as Error & { stderr?: string };
    fail(`${e.message}${e.stderr ? `\n${e.stderr}` : ''}`);
  }
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'pulse', 'pid'), 'utf8').trim());
  } catch {
    fail('no pid file');
  }
  const clientEnv = { ...process.env, ...env };
  try {
    const { stdout } = await execAsync('pactl', ['list', 'short', 'sinks'], clientEnv, 10_000);
    for (const s of sinks)
      if (!stdout.split('\n').some((line) => line.split('\t')[1] === s))
        throw new Error(`sink ${s} missing:\n${stdout}`);
  } catch (error) {
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
    fail(`the server does not answer: ${(error as Error).message}`);
  }

  // A null sink with no stream asking for low latency renders in blocks of up to 2 s, and a new
  // stream only gets a smaller block size after the current block: PortAudio's first frames then
  // come 0.2-1.9 s late (the "lost bytes" of earlier probes). A low-latency recorder on each monitor
  // keeps the blocks at 10 ms, and suspending and resuming each sink restarts its clock at once.
  const children = new Set<ChildProcess>();
  const keepalives: ChildProcess[] = [];
  for (const sink of sinks) {
    const child = spawn('pacat', ['--record', '--latency-msec=10', `--device=${sink}.monitor`], {
      env: clientEnv,
      stdio: 'ignore',
    });
    keepalives.push(child);
    children.add(child);
  }
  try {
    for (let i = 0; ; i++) {
      const { stdout } = await execAsync(
        'pactl',
        ['list', 'short', 'source-outputs'],
        clientEnv,
        10_000,
      );
      if (stdout.split('\n').filter((l) => l.trim()).length >= sinks.length) break;
      if (i === 50) throw new Error(`the low-latency recorders did not connect:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const sink of sinks) {
      await execAsync('pactl', ['suspend-sink', sink, '1'], clientEnv, 10_000);
      await execAsync('pactl', ['suspend-sink', sink, '0'], clientEnv, 10_000);
    }
  } catch (error) {
    for (const child of keepalives)
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
    fail(`setting up the sinks failed: ${(error as Error).message}`);
  }

  let stopped: Promise<void> | null = null;
  const server: PulseServer = {
    dir,
    pid,
    env,
    run: (file, cmdArgs, extraEnv = {}, timeoutMs = 30_000) =>
      execAsync(file, cmdArgs, { ...clientEnv, ...extraEnv }, timeoutMs),
    spawn(file, cmdArgs, extraEnv = {}) {
      const child = spawn(file, cmdArgs, {
        env: { ...clientEnv, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    stop() {
      stopped ??= (async () => {
        for (const child of children)
          if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
        if (alive(pid)) process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
        if (alive(pid)) process.kill(pid, 'SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}
