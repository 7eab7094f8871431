/**
 * The peers bench's bot child, forked by main.ts (one or two per run; rooms are dealt out between
 * them). Every speaker sends an 80-byte audio payload every 20 ms and hears every other speaker of
 * its room, through one of three clients: our MeetingClient, a minimal Mumble client (mumble.ts)
 * or a length-prefixed socket to the bare fan-out. The payload carries a probe (sender, sequence,
 * CLOCK_MONOTONIC µs), read back by the receivers whatever the server. Imports nothing from server/.
 */
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { MAX_FRAME_SIZE, MediaKind, MediaSource } from '../../common/constants';
import { decodeMediaFrame, encodeMediaFrame } from '../../common/media';
import { MeetingClient } from '../../client/MeetingClient';
import { PinnedFingerprint } from '../../client/trust';
import { Histogram, monotonicMicros } from '../relay/stats';
import { MumbleClient } from './mumble';
import { connectOverTls } from './tlsShim';
import {
  AUDIO_INTERVAL_MS,
  AUDIO_PAYLOAD_BYTES,
  DRAIN_MS,
  lengthPrefixedReader,
  readProbe,
  reply,
  runChild,
  TARGET_SPECS,
  writeProbe,
  type BotCommand,
  type BotSetup,
  type BotStats,
} from './protocol';

/** One speaker's connection, whatever the server: sends a payload, hands received ones back. */
interface Link {
  send(payload: Buffer): void;
  close(): Promise<void>;
}

type OnPayload = (payload: Buffer) => void;

/** Counters of this process: over the measured window, and over the whole run. */
class Counters {
  at = performance.now();
  cpu = process.cpuUsage();
  sent = 0;
  received = 0;
  missing = 0;
  e2e = new Histogram();
  totalSent = 0;
  totalReceived = 0;

  reset(): void {
    this.at = performance.now();
    this.cpu = process.cpuUsage();
    this.sent = 0;
    this.received = 0;
    this.missing = 0;
    this.e2e = new Histogram();
  }

  toStats(): BotStats {
    const cpu = process.cpuUsage(this.cpu);
    return {
      wallMs: performance.now() - this.at,
      cpuMs: (cpu.user + cpu.system) / 1000,
      sent: this.sent,
      received: this.received,
      missing: this.missing,
      e2eMicros: this.e2e.toJSON(),
    };
  }
}

const counters = new Counters();

/** One room member: a link, a sequence, and the last sequence heard from each other speaker. */
class Speaker {
  readonly id: number;
  link: Link | null = null;
  #sequence = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #payload = Buffer.from(randomBytes(AUDIO_PAYLOAD_BYTES));
  readonly #last = new Map<number, number>();

  constructor(id: number) {
    this.id = id;
  }

  readonly hear: OnPayload = (payload) => {
    const now = monotonicMicros();
    const probe = readProbe(payload, 0);
    if (!probe) return;
    counters.received++;
    counters.totalReceived++;
    counters.e2e.record(now - probe.micros);
    const last = this.#last.get(probe.sender);
    if (last !== undefined && probe.sequence > last + 1)
      counters.missing += probe.sequence - last - 1;
    if (last === undefined || probe.sequence > last) this.#last.set(probe.sender, probe.sequence);
  };

  start(): void {
    // A random phase, so the speakers of a process do not all send in the same tick.
    this.#timer = setTimeout(() => {
      this.#speak();
      this.#timer = setInterval(() => this.#speak(), AUDIO_INTERVAL_MS);
    }, Math.random() * AUDIO_INTERVAL_MS);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #speak(): void {
    writeProbe(this.#payload, {
      sender: this.id,
      sequence: ++this.#sequence,
      micros: monotonicMicros(),
    });
    this.link?.send(this.#payload);
    counters.sent++;
    counters.totalSent++;
  }
}

// ---- the three clients -------------------------------------------------------------------------

/** Our server: register, one member creates the meeting, the others join; audio link only used. */
async function oursRoom(
  port: number,
  room: number,
  speakers: Speaker[],
  tls: boolean,
  fingerprint: string | null,
): Promise<void> {
  // TLS of our own, pinned; or (an older build behind the bench's shim) TLS from the shim.
  if (tls && !fingerprint) connectOverTls();
  let meetingId: string | null = null;
  for (const speaker of speakers) {
    const client = new MeetingClient(
      { host: '127.0.0.1', port },
      tls && fingerprint ? { trust: new PinnedFingerprint(fingerprint) } : { plain: true },
    );
    await client.connect();
    await client.register(`peer_r${room}_s${speaker.id}`, 'password1');
    if (meetingId === null) meetingId = (await client.createMeeting(`peers ${room}`)).meeting.id;
    else await client.joinMeeting(meetingId);
    client.transport.on('frame', (frame, link) => {
      if (link === 'audio') speaker.hear(decodeMediaFrame(frame, MAX_FRAME_SIZE.audio).payload);
    });
    let sequence = 0;
    speaker.link = {
      send: (payload) => {
        const frame = encodeMediaFrame(
          {
            kind: MediaKind.AUDIO,
            source: MediaSource.MICROPHONE,
            flags: 0,
            sender: 0,
            sequence: ++sequence,
            timestamp: monotonicMicros(),
          },
          payload,
          MAX_FRAME_SIZE.audio,
        );
        client.transport.send('audio', frame);
      },
      close: () => client.close(),
    };
  }
}

/** murmur: every member of the room is a user in the root channel of that room's instance. */
async function murmurRoom(port: number, room: number, speakers: Speaker[]): Promise<void> {
  // Always TLS: murmur's TCP voice tunnel has no other mode.
  await Promise.all(
    speakers.map(async (speaker) => {
      const client = await MumbleClient.connect(port, `peer_r${room}_s${speaker.id}`);
      client.on('voice', (_session, payload) => speaker.hear(payload));
      speaker.link = {
        send: (payload) => client.speak(payload),
        close: async () => client.close(),
      };
    }),
  );
}

/** The bare fan-out: a hello frame naming the room, then length-prefixed payloads both ways. */
async function bareRoom(
  port: number,
  room: number,
  speakers: Speaker[],
  withTls: boolean,
): Promise<void> {
  await Promise.all(
    speakers.map(async (speaker) => {
      const socket = withTls
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
        : net.connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        socket.once(withTls ? 'secureConnect' : 'connect', resolve);
        socket.once('error', reject);
      });
      socket.on('error', () => undefined);
      const hello = Buffer.alloc(8);
      hello.writeUInt32BE(4, 0);
      hello.writeUInt32BE(room, 4);
      socket.write(hello);
      let joined: (() => void) | null = null;
      const inRoom = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('bare: no join reply')), 10_000);
        joined = () => {
          clearTimeout(timer);
          joined = null;
          resolve();
        };
      });
      socket.on(
        'data',
        lengthPrefixedReader(Number.MAX_SAFE_INTEGER, (frame) => {
          if (frame.length === 4) joined?.();
          else speaker.hear(frame.subarray(4));
        }),
      );
      speaker.link = {
        send: (payload) => {
          const frame = Buffer.allocUnsafe(4 + payload.length);
          frame.writeUInt32BE(payload.length, 0);
          payload.copy(frame, 4);
          socket.write(frame);
        },
        close: async () => {
          socket.end();
        },
      };
      await inRoom;
    }),
  );
}

const ROOM_SETUP = { ours: oursRoom, murmur: murmurRoom, bare: bareRoom } as const;

async function setup(message: BotSetup): Promise<Speaker[]> {
  const all: Speaker[] = [];
  for (const room of message.rooms) {
    const speakers = Array.from(
      { length: message.speakers },
      (_, j) => new Speaker(room * message.speakers + j + 1),
    );
    // murmur runs one instance per room (see main.ts); the others serve every room on one port.
    const port = message.ports.length > 1 ? message.ports[room]! : message.ports[0]!;
    await ROOM_SETUP[TARGET_SPECS[message.target].server](
      port,
      room,
      speakers,
      message.tls,
      message.fingerprint,
    );
    all.push(...speakers);
  }
  return all;
}

async function runBots(): Promise<void> {
  let speakers: Speaker[] = [];
  process.on('message', (message: BotCommand) => {
    switch (message.type) {
      case 'setup':
        setup(message).then(
          (s) => {
            speakers = s;
            reply({ type: 'ready' });
          },
          (error: unknown) => reply({ type: 'error', message: `setup failed: ${String(error)}` }),
        );
        break;
      case 'start':
        for (const s of speakers) s.start();
        reply({ type: 'started' });
        break;
      case 'measure-start':
        counters.reset();
        reply({ type: 'started' });
        break;
      case 'measure-end':
        reply({ type: 'stats', stats: counters.toStats() });
        break;
      case 'stop':
        for (const s of speakers) s.stop();
        // Receivers drain for a while, then the totals are final.
        setTimeout(() => {
          const totals = { sent: counters.totalSent, received: counters.totalReceived };
          void Promise.allSettled(speakers.map((s) => s.link?.close())).then(() => {
            reply({ type: 'stopped', totals });
            process.exit(0);
          });
        }, DRAIN_MS);
        break;
    }
  });
  await Promise.resolve();
}

if (require.main === module) runChild(runBots);
