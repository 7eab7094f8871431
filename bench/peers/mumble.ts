/**
 * A minimal Mumble 1.3 client for the peers bench: TLS to murmur's TCP port (self-signed server
 * certificate accepted), Version + Authenticate, a Ping every few seconds, and voice through the
 * TCP tunnel (UDPTunnel messages carrying legacy-format Opus packets). The few protobuf messages
 * are hand-encoded (fields from Mumble.proto); of what the server sends, only ServerSync (we are
 * in), Reject and UDPTunnel are read.
 *
 * TCP framing: type u16 | length u32 | protobuf or voice packet (big-endian).
 * Voice, client → server: header (Opus 4 << 5 | target 0) | varint sequence | varint length | Opus
 * Voice, server → client: header | varint session | varint sequence | varint length | Opus
 * where "varint" is Mumble's own prefix-coded integer (not protobuf's).
 */
import { EventEmitter } from 'node:events';
import tls from 'node:tls';

const enum Type {
  VERSION = 0,
  UDP_TUNNEL = 1,
  AUTHENTICATE = 2,
  PING = 3,
  REJECT = 4,
  SERVER_SYNC = 5,
}

/** Client version 1.3.4 as Mumble packs it (major << 16 | minor << 8 | patch). */
const VERSION_1_3_4 = (1 << 16) | (3 << 8) | 4;
const OPUS_HEADER = 4 << 5; // type Opus, target 0 (normal talking: the user's channel)
const MAX_MESSAGE = 1 << 20;
const PING_EVERY_MS = 5_000;

// ---- protobuf, the three fields types we send ---------------------------------------------------

function pbVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function pbUint(out: number[], field: number, value: number): void {
  pbVarint(out, field << 3);
  pbVarint(out, value);
}

function pbString(out: number[], field: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  pbVarint(out, (field << 3) | 2);
  pbVarint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function message(type: Type, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(6 + body.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt32BE(body.length, 2);
  out.set(body, 6);
  return out;
}

// ---- Mumble's voice varint -----------------------------------------------------------------------

/** Appends `value` (0 ≤ value < 2^28) in Mumble's prefix code. */
function mumbleVarint(out: number[], value: number): void {
  if (value < 0x80) out.push(value);
  else if (value < 0x4000) out.push((value >> 8) | 0x80, value & 0xff);
  else if (value < 0x200000) out.push((value >> 16) | 0xc0, (value >> 8) & 0xff, value & 0xff);
  else if (value < 0x10000000)
    out.push((value >> 24) | 0xe0, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  else throw new RangeError('mumble varint out of range');
}

/** Reads one of Mumble's varints at `s.at` (the forms this bench can meet: up to 32 bits). */
function readMumbleVarint(buf: Buffer, s: { at: number }): number {
  const need = (n: number): void => {
    if (s.at + n > buf.length) throw new RangeError('Out of bounds');
  };
  need(1);
  const b = buf[s.at++]!;
  if ((b & 0x80) === 0) return b;
  if ((b & 0xc0) === 0x80) {
    need(1);
    return ((b & 0x3f) << 8) | buf[s.at++]!;
  }
  if ((b & 0xe0) === 0xc0) {
    need(2);
    const v = ((b & 0x1f) << 16) | (buf[s.at]! << 8) | buf[s.at + 1]!;
    s.at += 2;
    return v;
  }
  if ((b & 0xf0) === 0xe0) {
    need(3);
    const v = ((b & 0x0f) << 24) | (buf[s.at]! << 16) | (buf[s.at + 1]! << 8) | buf[s.at + 2]!;
    s.at += 3;
    return v >>> 0;
  }
  if ((b & 0xfc) === 0xf0) {
    need(4);
    const v = buf.readUInt32BE(s.at);
    s.at += 4;
    return v;
  }
  throw new RangeError(`unsupported mumble varint prefix 0x${b.toString(16)}`);
}

// ---- the client ----------------------------------------------------------------------------------

export interface MumbleClientEvents {
  /** An Opus payload from another user (`payload` is a view into the received message). */
  voice: [session: number, payload: Buffer];
  close: [];
}

/** One user on a murmur server, speaking and hearing through the TCP voice tunnel. */
export class MumbleClient extends EventEmitter<MumbleClientEvents> {
  readonly #socket: tls.TLSSocket;
  #pending: Buffer = Buffer.alloc(0);
  #sequence = 0;
  #ping: NodeJS.Timeout | null = null;
  #synced: ((error?: Error) => void) | null = null;

  private constructor(socket: tls.TLSSocket) {
    super();
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.#ping) clearInterval(this.#ping);
      this.#synced?.(new Error('murmur closed the connection'));
      this.emit('close');
    });
  }

  /** Connects, authenticates as `username` and resolves once the server sent ServerSync. */
  static async connect(port: number, username: string, timeoutMs = 10_000): Promise<MumbleClient> {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.setNoDelay(true);
    const client = new MumbleClient(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`murmur: no ServerSync for ${username} within ${timeoutMs} ms`));
      }, timeoutMs);
      client.#synced = (error) => {
        clearTimeout(timer);
        client.#synced = null;
        if (error) reject(error);
        else resolve();
      };
      socket.once('secureConnect', () => {
        const version: number[] = [];
        pbUint(version, 1, VERSION_1_3_4);
        pbString(version, 2, '1.3.4');
        pbString(version, 3, 'Linux');
        pbString(version, 4, 'bench');
        const auth: number[] = [];
        pbString(auth, 1, username);
        pbUint(auth, 5, 1); // opus: true
        socket.write(message(Type.VERSION, Uint8Array.from(version)));
        socket.write(message(Type.AUTHENTICATE, Uint8Array.from(auth)));
      });
    });
    client.#ping = setInterval(
      () => client.#socket.write(message(Type.PING, new Uint8Array(0))),
      PING_EVERY_MS,
    );
    return client;
  }

  /** Sends one Opus frame to the user's channel through the TCP tunnel. */
  speak(opus: Buffer): void {
    const head: number[] = [OPUS_HEADER];
    mumbleVarint(head, this.#sequence++);
    mumbleVarint(head, opus.length); // bit 0x2000 (last frame of a burst) stays clear
    const packet = Buffer.allocUnsafe(head.length + opus.length);
    packet.set(head, 0);
    packet.set(opus, head.length);
    this.#socket.write(message(Type.UDP_TUNNEL, packet));
  }

  close(): void {
    if (this.#ping) clearInterval(this.#ping);
    this.#socket.end();
    this.#socket.destroySoon();
  }

  #onData(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let at = 0;
    while (this.#pending.length - at >= 6) {
      const type = this.#pending.readUInt16BE(at);
      const length = this.#pending.readUInt32BE(at + 2);
      if (length > MAX_MESSAGE) {
        this.#socket.destroy();
        return;
      }
      if (this.#pending.length - at < 6 + length) break;
      const body = this.#pending.subarray(at + 6, at + 6 + length);
      at += 6 + length;
      if (type === Type.UDP_TUNNEL) this.#onVoice(body);
      else if (type === Type.SERVER_SYNC) this.#synced?.();
      else if (type === Type.REJECT) this.#synced?.(new Error('murmur rejected the login'));
    }
    this.#pending = at === this.#pending.length ? Buffer.alloc(0) : this.#pending.subarray(at);
  }

  #onVoice(packet: Buffer): void {
    if (packet.length < 1 || packet[0]! >> 5 !== 4) return;
    const s = { at: 1 };
    const session = readMumbleVarint(packet, s);
    readMumbleVarint(packet, s); // sequence
    const length = readMumbleVarint(packet, s) & 0x1fff;
    if (s.at + length > packet.length) return;
    this.emit('voice', session, packet.subarray(s.at, s.at + length));
  }
}
