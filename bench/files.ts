/**
 * File-transfer bench (run by hand: `node dist/bench/files.js [--mb 64]`). A real server in a child
 * process; in the main process, uploads then downloads of one file and of four files at once
 * (four users) through MeetingClient's files link, each next to a plain copy of the same bytes
 * over a raw TCP socket to and from the same child (file → socket → file, no protocol), in the
 * same run. Meanwhile an audio child (two members of the same meeting) sends a 20 ms frame every
 * 20 ms and times each one end to end (monotonic clock shared by the processes): the audio p50/p99
 * and losses are printed for an idle phase and for each transfer phase.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_FRAME_SIZE, MediaKind } from '../common/constants';
import { decodeMediaFrame, encodeMediaFrame } from '../common/media';
import { MeetingClient } from '../client/MeetingClient';

const MB = 1024 * 1024;
type Msg = { type: string; [k: string]: unknown };

const monoMicros = (): number => Number(process.hrtime.bigint() / 1000n);
const pct = (v: number[], p: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

// ---- child: the server and a raw TCP sink/source ------------------------------------------------
async function serverChild(): Promise<void> {
  const { benchServer } = await import('./lib/benchServer');
  const { server, close } = benchServer('bench-files-');
  const { port } = await server.listen(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-files-raw-'));
  let n = 0;
  // Raw: 1 byte mode ('P' put / 'G' get) + u64 size; a put is written to a file and answered
  // with one byte; a get streams the last put file's first `size` bytes.
  let last = '';
  const raw = net.createServer((socket) => {
    socket.once('readable', () => {
      const head = socket.read(9) as Buffer | null;
      if (!head) return void socket.destroy();
      const size = Number(head.readBigUInt64BE(1));
      if (head[0] === 0x50) {
        const file = path.join(dir, String(n++));
        last = file;
        const out = fs.createWriteStream(file);
        let got = 0;
        socket.on('data', (c: Buffer) => {
          got += c.length;
          if (!out.write(c)) {
            socket.pause();
            out.once('drain', () => socket.resume());
          }
          if (got >= size) out.end(() => socket.end(Buffer.from([1])));
        });
        const rest = socket.read() as Buffer | null;
        if (rest) socket.emit('data', rest);
      } else {
        fs.createReadStream(last, { start: 0, end: size - 1 }).pipe(socket);
      }
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const rawPort = (raw.address() as net.AddressInfo).port;
  process.send?.({ type: 'ready', port, rawPort });
  process.on('message', (m: Msg) => {
    if (m.type === 'stop') {
      raw.close();
      fs.rmSync(dir, { recursive: true, force: true });
      close();
    }
  });
}

// ---- child: two members exchanging timed audio frames -------------------------------------------
async function audioChild(port: number, meetingId: string): Promise<void> {
  const mk = async (name: string): Promise<MeetingClient> => {
    const c = new MeetingClient({ host: '127.0.0.1', port }, { plain: true });
    await c.connect();
    await c.register(name, 'password1');
    await c.joinMeeting(meetingId);
    return c;
  };
  const a = await mk('audio-a');
  const b = await mk('audio-b');
  let lat: number[] = [];
  let sent = 0;
  let got = 0;
  b.transport.on('frame', (frame, kind) => {
    if (kind !== 'audio') return;
    const f = decodeMediaFrame(frame, MAX_FRAME_SIZE.audio);
    lat.push((monoMicros() - f.header.timestamp) / 1000);
    got++;
  });
  const payload = randomBytes(80);
  let seq = 0;
  const timer = setInterval(() => {
    const frame = encodeMediaFrame(
      {
        kind: MediaKind.AUDIO,
        source: 0,
        flags: 0,
        sender: 0,
        sequence: seq++,
        timestamp: monoMicros(),
      },
      payload,
      MAX_FRAME_SIZE.audio,
    );
    a.transport.send('audio', frame);
    sent++;
  }, 20);
  process.send?.({ type: 'ready' });
  process.on('message', (m: Msg) => {
    if (m.type === 'mark') {
      process.send?.({ type: 'phase', p50: pct(lat, 50), p99: pct(lat, 99), sent, got });
      lat = [];
      sent = 0;
      got = 0;
    } else if (m.type === 'stop') {
      clearInterval(timer);
      void Promise.all([a.close(), b.close()]).then(() => process.exit(0));
    }
  });
}

// ---- main ----------------------------------------------------------------------------------------
function start(role: string, args: string[] = []): ChildProcess {
  return fork(__filename, [role, ...args], { stdio: 'inherit' });
}
function next(child: ChildProcess, type: string): Promise<Msg> {
  return new Promise((resolve) => {
    const on = (m: Msg): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

function rawPut(port: number, file: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const head = Buffer.alloc(9);
      head[0] = 0x50;
      head.writeBigUInt64BE(BigInt(size), 1);
      s.write(head);
      fs.createReadStream(file).pipe(s, { end: false });
    });
    s.once('data', () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
}
function rawGet(port: number, size: number, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = fs.createWriteStream(out);
    const s = net.connect(port, '127.0.0.1', () => {
      const head = Buffer.alloc(9);
      head[0] = 0x47;
      head.writeBigUInt64BE(BigInt(size), 1);
      s.write(head);
    });
    s.pipe(w);
    w.on('finish', () => resolve());
    s.on('error', reject);
  });
}

async function main(): Promise<void> {
  const mbArg = process.argv.indexOf('--mb');
  const mb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 64;
  const size = mb * MB;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-files-main-'));
  const server = start('server');
  const { port, rawPort } = (await next(server, 'ready')) as Msg & {
    port: number;
    rawPort: number;
  };
  const clients: MeetingClient[] = [];
  for (let i = 0; i < 5; i++) {
    const c = new MeetingClient({ host: '127.0.0.1', port }, { media: false, plain: true });
    await c.connect();
    await c.register(`files-${i}`, 'password1');
    clients.push(c);
  }
  const [host, ...others] = clients as [MeetingClient, ...MeetingClient[]];
  const { meeting } = await host.createMeeting('files bench');
  for (const c of others) await c.joinMeeting(meeting.id);
  const audio = start('audio', [String(port), meeting.id]);
  await next(audio, 'ready');
  // Distinct files per sender, so nothing is skipped as already stored.
  const files = Array.from({ length: 4 }, (_, i) => {
    const f = path.join(tmp, `f${i}.bin`);
    const fd = fs.openSync(f, 'w');
    for (let d = 0; d < size; d += 4 * MB)
      fs.writeSync(fd, randomBytes(Math.min(4 * MB, size - d)));
    fs.closeSync(fd);
    return f;
  });
  const mark = async (): Promise<Msg> => {
    audio.send({ type: 'mark' });
    return next(audio, 'phase');
  };
  const rows: string[] = [];
  const tput: string[] = [];
  const audioRow = (name: string, a: Msg): void => {
    const lost = Math.max(0, Number(a.sent) - Number(a.got));
    rows.push(
      `  audio during ${name.padEnd(22)} p50 ${Number(a.p50).toFixed(2)} ms  p99 ${Number(a.p99).toFixed(2)} ms  (${String(a.got)} frames, ${lost} not arrived)`,
    );
  };
  await new Promise((r) => setTimeout(r, 2000));
  await mark();
  await new Promise((r) => setTimeout(r, 2000));
  audioRow('idle', await mark());
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };
  const rate = (bytes: number, s: number): string => `${(bytes / MB / s).toFixed(0)} MB/s`;
  const offered: Array<import('../common/protocol').FileInfo> = [];

  for (const n of [1, 4]) {
    const senders = clients.slice(1, 1 + n);
    const total = n * size;
    const rawUp = await timed(() =>
      Promise.all(files.slice(0, n).map((f) => rawPut(rawPort, f, size))),
    );
    await mark();
    const up = await timed(() =>
      Promise.all(
        senders.map(
          (c, i) => c.files.send(files[i] as string, { to: host.session?.username }).finished,
        ),
      ),
    );
    audioRow(`${n} upload${n > 1 ? 's' : ''}`, await mark());
    await new Promise((r) => setTimeout(r, 300));
    const list = (await host.files.refresh()).filter((f) => !offered.some((o) => o.id === f.id));
    offered.push(...list);
    const rawDown = await timed(() =>
      Promise.all(list.map((_, i) => rawGet(rawPort, size, path.join(tmp, `raw-${n}-${i}`)))),
    );
    await mark();
    const down = await timed(() =>
      Promise.all(
        list.map((f, i) => host.files.download(f, path.join(tmp, `dl-${n}-${i}`)).finished),
      ),
    );
    audioRow(`${n} download${n > 1 ? 's' : ''}`, await mark());
    tput.push(
      `  ${n} upload${n > 1 ? 's ' : '  '} ${rate(total, up).padStart(9)}   raw TCP ${rate(total, rawUp).padStart(9)}   ratio ${(rawUp / up).toFixed(2)}`,
      `  ${n} download${n > 1 ? 's' : ' '} ${rate(total, down).padStart(9)}   raw TCP ${rate(total, rawDown).padStart(9)}   ratio ${(rawDown / down).toFixed(2)}`,
    );
  }
  console.log(`file transfers on loopback, ${mb} MB per file (SHA-256 checked, written to disk):`);
  for (const r of tput) console.log(r);
  console.log('audio in the same meeting (20 ms frames, end to end):');
  for (const r of rows.filter((r) => r.includes('audio'))) console.log(r);
  audio.send({ type: 'stop' });
  await Promise.all(clients.map((c) => c.close()));
  server.send({ type: 'stop' });
  fs.rmSync(tmp, { recursive: true, force: true });
}

const role = process.argv[2];
if (role === 'server') void serverChild();
else if (role === 'audio') void audioChild(Number(process.argv[3]), String(process.argv[4]));
else void main();
