/**
 * The relay bench's bot child, forked by main.ts (one or two per step; meetings are dealt out
 * between them). Each bot is a real MeetingClient: it publishes audio and video on timers and
 * receives the other bots of its meeting, timing every frame end to end. The frame's timestamp
 * field carries CLOCK_MONOTONIC microseconds (process.hrtime), which every process on one host
 * shares, so no cross-process clock offset enters the figure. Imports nothing from server/.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MAX_FRAME_SIZE, MediaFlag, MediaKind, MediaSource } from '../../common/constants';
import { decodeMediaFrame, encodeMediaFrame } from '../../common/media';
import { MeetingClient } from '../../client/MeetingClient';
import { PinnedFingerprint } from '../../client/trust';
import {
  AUDIO_INTERVAL_MS,
  AUDIO_PAYLOAD_BYTES,
  REGISTER_CONCURRENCY,
  SENDER_VIDEO_BACKLOG_BYTES,
  VIDEO_INTERVAL_MS,
  VIDEO_MAX_BYTES,
  VIDEO_MIN_BYTES,
  exitWithParent,
  reply,
  runChild,
  type BotStats,
  type BotsCommand,
  type Kinds,
} from './protocol';
import { Histogram, LOOP_RESOLUTION_MS, loopDelayP99, monotonicMicros } from './stats';

/** Payloads of realistic JPEG sizes, shared by every bot of the process (content is irrelevant). */
const videoPayloads = Array.from({ length: 16 }, () =>
  randomBytes(
    VIDEO_MIN_BYTES + Math.floor(Math.random() * (VIDEO_MAX_BYTES - VIDEO_MIN_BYTES + 1)),
  ),
);
const audioPayload = randomBytes(AUDIO_PAYLOAD_BYTES);

/** One participant: publishes on timers, checks and times what it receives. */
class Bot {
  readonly client: MeetingClient;
  readonly #stats: BotRun;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Last sequence seen per sender and kind. */
  readonly #last = new Map<number, number>();
  #sequence = { audio: 0, video: 0 };

  constructor(client: MeetingClient, stats: BotRun) {
    this.client = client;
    this.#stats = stats;
    client.transport.on('frame', (frame, link) => this.#onMedia(frame, link));
  }

  start(): void {
    // Random phases, so the bots of a process do not all send in the same tick.
    const every = (ms: number, fn: () => void): void => {
      const first = setTimeout(() => {
        fn();
        this.#timers.push(setInterval(fn, ms));
      }, Math.random() * ms);
      this.#timers.push(first);
    };
    every(AUDIO_INTERVAL_MS, () => this.#send('audio'));
    every(VIDEO_INTERVAL_MS, () => this.#send('video'));
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.length = 0;
  }

  #send(kind: 'audio' | 'video'): void {
    const transport = this.client.transport;
    if (!transport.isOpen(kind)) return;
    if (kind === 'video' && transport.queuedBytes(kind) > SENDER_VIDEO_BACKLOG_BYTES) {
      this.#stats.skipped++;
      return;
    }
    const sequence = ++this.#sequence[kind];
    const payload =
      kind === 'audio' ? audioPayload : videoPayloads[sequence % videoPayloads.length]!;
    const frame = encodeMediaFrame(
      {
        kind: kind === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO,
        source: kind === 'audio' ? MediaSource.MICROPHONE : MediaSource.CAMERA,
        flags: kind === 'video' ? MediaFlag.KEYFRAME : 0,
        sender: 0,
        sequence,
        timestamp: monotonicMicros(),
      },
      payload,
      MAX_FRAME_SIZE[kind],
    );
    transport.send(kind, frame);
    this.#stats.sent[kind]++;
  }

  #onMedia(frame: Buffer, link: 'audio' | 'video'): void {
    const now = monotonicMicros();
    const { header } = decodeMediaFrame(frame, MAX_FRAME_SIZE[link]);
    const s = this.#stats;
    s.received[link]++;
    s.bytes += frame.length;
    s.e2e[link].record(now - header.timestamp);
    const key = header.sender * 4 + header.kind;
    const last = this.#last.get(key);
    if (last !== undefined) {
      if (header.sequence <= last) s.reordered++;
      else s.missing += header.sequence - last - 1;
    }
    if (last === undefined || header.sequence > last) this.#last.set(key, header.sequence);
  }
}

/** Counters of one bot process over the measured window. */
class BotRun {
  at = performance.now();
  cpu = process.cpuUsage();
  sent = { audio: 0, video: 0 };
  skipped = 0;
  received = { audio: 0, video: 0 };
  bytes = 0;
  missing = 0;
  reordered = 0;
  e2e: Kinds<Histogram> = { audio: new Histogram(), video: new Histogram() };
  readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  reset(): void {
    const { loop } = this;
    Object.assign(this, new BotRun(), { loop });
    loop.reset();
    loop.enable();
  }

  toStats(): BotStats {
    const cpu = process.cpuUsage(this.cpu);
    return {
      wallMs: performance.now() - this.at,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: process.memoryUsage.rss(),
      sent: { ...this.sent },
      skipped: this.skipped,
      received: { ...this.received },
      bytes: this.bytes,
      missing: this.missing,
      reordered: this.reordered,
      e2eMicros: { audio: this.e2e.audio.toJSON(), video: this.e2e.video.toJSON() },
      loopDelayP99Ms: loopDelayP99(this.loop),
    };
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function runBots(): Promise<void> {
  exitWithParent();
  const run = new BotRun();
  const bots: Bot[] = [];

  const setup = async (
    port: number,
    meetings: number[],
    perMeeting: number,
    fingerprint: string | null,
  ): Promise<string[]> => {
    const ids: string[] = [];
    for (const m of meetings) {
      const names = Array.from({ length: perMeeting }, (_, j) => `bot_m${m}_b${j}`);
      const clients = await mapLimit(names, REGISTER_CONCURRENCY, async (name) => {
        const client = new MeetingClient(
          { host: '127.0.0.1', port },
          fingerprint ? { trust: new PinnedFingerprint(fingerprint) } : { plain: true },
        );
        await client.connect();
        await client.register(name, 'password1');
        return client;
      });
      const id = (await clients[0]!.createMeeting(`bench ${m}`)).meeting.id;
      for (const c of clients.slice(1)) await c.joinMeeting(id);
      for (const c of clients) bots.push(new Bot(c, run));
      ids.push(id);
    }
    return ids;
  };

  process.on('message', (message: BotsCommand) => {
    switch (message.type) {
      case 'setup':
        setup(message.port, message.meetings, message.bots, message.fingerprint).then(
          (meetingIds) => reply({ type: 'ready', meetingIds }),
          (error: unknown) =>
            reply({ type: 'error', message: `bot setup failed: ${String(error)}` }),
        );
        break;
      case 'start':
        for (const b of bots) b.start();
        reply({ type: 'started' });
        break;
      case 'measure-start':
        run.reset();
        reply({ type: 'started' });
        break;
      case 'measure-end':
        reply({ type: 'stats', stats: run.toStats() });
        break;
      case 'stop':
        for (const b of bots) b.stop();
        void Promise.allSettled(bots.map((b) => b.client.close())).then(() => {
          reply({ type: 'stopped' });
          process.exit(0);
        });
        break;
    }
  });
}

if (require.main === module) runChild(runBots);
