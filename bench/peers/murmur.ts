/**
 * murmur (Debian's mumble-server 1.3.4) as a bench target: one instance per room, each on a free
 * loopback port with its own ini and SQLite database in a temp folder. murmur 1.3 cannot create
 * channels from its ini, so a room is the root channel of its own instance (the server's CPU and
 * RSS are the sums over the instances). Started with `-fg -ini FILE`, stopped with SIGTERM (then
 * SIGKILL); the temp folders are removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const MURMUR_BINARY = '/usr/sbin/murmurd';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Every murmur this process started and has not yet seen exit: killed if the bench dies. */
const running = new Set<ChildProcess>();
/** Their temp folders, not yet removed: removed if the bench dies. */
const folders = new Set<string>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

/** A loopback port free for both TCP and UDP (murmur listens on both; it cannot take port 0). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = dgram.createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new Error('no free loopback port for murmur');
}

/** One running murmur instance. */
export class Murmur {
  readonly port: number;
  readonly #process: ChildProcess;
  readonly #dir: string;
  #log = '';

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.#process = child;
    this.#dir = dir;
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  /** Starts an instance and resolves once it listens. */
  static async start(): Promise<Murmur> {
    if (!fs.existsSync(MURMUR_BINARY)) {
      throw new Error(`${MURMUR_BINARY} not found (apt-get install -y mumble-server)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-murmur-'));
    // Run as root, murmur switches to the mumble-server user, which must write its database here.
    folders.add(dir);
    fs.chmodSync(dir, 0o777);
    const port = await freePort();
    const ini = path.join(dir, 'murmur.ini');
    fs.writeFileSync(
      ini,
      [
        `database=${path.join(dir, 'murmur.sqlite')}`,
        'host=127.0.0.1',
        `port=${port}`,
        'welcometext=',
        'bonjour=false',
        'ice=',
        'logfile=',
        'users=1000',
        // Per-user voice budget (bit/s, headers counted): far above an 80-byte frame every 20 ms.
        'bandwidth=558000',
        'messageburst=100000',
        'messagelimit=100000',
        '',
      ].join('\n'),
    );
    const child = spawn(MURMUR_BINARY, ['-fg', '-ini', ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const murmur = new Murmur(port, child, dir);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`murmur did not listen within ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
        const watch = (chunk: Buffer): void => {
          murmur.#log = (murmur.#log + chunk.toString('utf8')).slice(-4000);
          if (murmur.#log.includes('Server listening on')) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout?.on('data', watch);
        child.stderr?.on('data', watch);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`murmur exited (code ${code}): ${murmur.#log.slice(-500)}`));
        });
      });
    } catch (error) {
      await murmur.stop();
      throw error;
    }
    return murmur;
  }

  /** SIGTERM, SIGKILL after a while, then the temp folder goes. Idempotent. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.#dir, { recursive: true, force: true });
    folders.delete(this.#dir);
  }
}
