/**
 * The relay bench's server child, forked by main.ts: a real MeetingServer on 127.0.0.1, SQLite in
 * a temp folder, logs silent, so the CPU and RSS it reports are the server's own. It measures the
 * relay from inside through `attachProbes`, the bench's only contact with server internals.
 *
 *   server latency  from the relay taking a frame to the write on one receiver's socket
 *                   (socket.write only copies into the socket, so this is the relay's own cost,
 *                   queueing behind a backed-up socket included)
 *   uplink          the sender's monotonic timestamp read as the relay takes the frame
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MEDIA_LINK_KINDS, type MediaLinkKind } from '../../common/links';
import { MeetingServer } from '../../server/MeetingServer';
import { benchServer } from '../lib/benchServer';
import {
  exitWithParent,
  reply,
  runChild,
  type Kinds,
  type SegmentStats,
  type ServerCommand,
} from './protocol';
import { Histogram, LOOP_RESOLUTION_MS, loopDelayP99, monotonicMicros } from './stats';

/** What the bench hears from the relay: the events of every room's observer. */
export interface RelaySink {
  /** A frame from `senderId` was accepted for relaying (once per frame, before the fan-out). */
  frameIn(kind: MediaLinkKind, senderId: number, frame: Buffer): void;
  /** A frame went out on one receiver's socket `ns` nanoseconds after the relay accepted it. */
  written(kind: MediaLinkKind, ns: number): void;
  /** A frame was not relayed (to anyone, or to one receiver for `'queue-full'`). */
  dropped(kind: MediaLinkKind, reason: string, senderId: number): void;
}

/** What no event carries, polled while measuring: the rooms' outgoing queues. */
export interface Census {
  /** Outgoing queues (one per member and media link; each serves every sender of the room). */
  queues: number;
  /** Bytes queued in them now. */
  queuedBytes: number;
}

/**
 * The bench's only coupling to the server: feeds `sink` every room's observer events and returns a
 * census of the given meetings' outgoing queues (the one figure no event carries, read through
 * `Member.queue`).
 */
export function attachProbes(
  server: MeetingServer,
  sink: RelaySink,
): (meetingIds: string[]) => Census {
  server.observer.on('roomOpened', (room) => {
    room.observer.on('frameIn', (kind, senderId, frame) => sink.frameIn(kind, senderId, frame));
    room.observer.on('written', (kind, ns) => sink.written(kind, ns));
    room.observer.on('dropped', (kind, reason, senderId) => sink.dropped(kind, reason, senderId));
  });
  return (meetingIds) => {
    const census = { queues: 0, queuedBytes: 0 };
    for (const id of meetingIds) {
      for (const member of server.room(id)?.members() ?? []) {
        for (const kind of MEDIA_LINK_KINDS) {
          const queue = member.queue(kind);
          if (!queue) continue;
          census.queues++;
          census.queuedBytes += queue.queuedBytes;
        }
      }
    }
    return census;
  };
}

/** The capture timestamp of a whole media frame (header offset 12, u64), without decoding it. */
function readTimestamp(frame: Buffer): number {
  const at = 4 + 1 + 12;
  return frame.readUInt32BE(at) * 0x1_0000_0000 + frame.readUInt32BE(at + 4);
}

/** What the relay did during the measured window, from the sink's events. */
class RelayWindow implements RelaySink {
  framesIn = 0;
  writes = 0;
  drops: Kinds<number> = { audio: 0, video: 0 };
  latencyNs: Kinds<Histogram> = { audio: new Histogram(), video: new Histogram() };
  /** Sender's encode → the relay, from the frame's monotonic timestamp. */
  uplinkMicros = new Histogram();

  reset(): void {
    Object.assign(this, new RelayWindow());
  }

  frameIn(_kind: MediaLinkKind, _senderId: number, frame: Buffer): void {
    this.framesIn++;
    this.uplinkMicros.record(monotonicMicros() - readTimestamp(frame));
  }

  written(kind: MediaLinkKind, ns: number): void {
    this.writes++;
    this.latencyNs[kind].record(ns);
  }

  /** Counts frames a receiver's queue dropped (as Consumer.dropped did); refusals are not drops. */
  dropped(kind: MediaLinkKind, reason: string): void {
    if (reason === 'queue-full') this.drops[kind]++;
  }
}

async function runServer(): Promise<void> {
  exitWithParent();
  // BENCH_TLS=1 (set by the orchestrator): TLS on every link, as deployed; plain TCP otherwise.
  const { server, close } = benchServer('bench-relay-', { plain: process.env.BENCH_TLS !== '1' });
  const measured = new RelayWindow();
  const census = attachProbes(server, measured);
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let start = { at: 0, cpu: process.cpuUsage() };
  let rssPeak = 0;
  let queuedPeak = 0;
  let sampler: NodeJS.Timeout | null = null;
  const segments: SegmentStats[] = [];
  let dropped = 0;

  process.on('message', (message: ServerCommand) => {
    if (message.type === 'measure-start') {
      measured.reset();
      loop.reset();
      loop.enable();
      start = { at: performance.now(), cpu: process.cpuUsage() };
      rssPeak = process.memoryUsage.rss();
      queuedPeak = 0;
      sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        queuedPeak = Math.max(queuedPeak, census(message.meetingIds).queuedBytes);
      }, 200);
      reply({ type: 'started' });
    } else if (message.type === 'measure-end') {
      if (sampler) clearInterval(sampler);
      loop.disable();
      const cpu = process.cpuUsage(start.cpu);
      const { queues } = census(message.meetingIds);
      const memory = process.memoryUsage();
      reply({
        type: 'stats',
        stats: {
          wallMs: performance.now() - start.at,
          cpuMs: (cpu.user + cpu.system) / 1000,
          rss: memory.rss,
          rssPeak: Math.max(rssPeak, memory.rss),
          buffers: memory.external + memory.arrayBuffers,
          consumers: queues,
          framesIn: measured.framesIn,
          written: measured.writes,
          dropped: { ...measured.drops },
          queuedPeak,
          latencyNs: {
            audio: measured.latencyNs.audio.toJSON(),
            video: measured.latencyNs.video.toJSON(),
          },
          uplinkMicros: measured.uplinkMicros.toJSON(),
          loopDelayP99Ms: loopDelayP99(loop),
        },
      });
    } else if (message.type === 'record') {
      const room = server.room(message.meetingId);
      const host = room?.host;
      if (!room || !host) return reply({ type: 'error', message: 'no such room' });
      void (message.on ? server.recordings.start(room, host) : server.recordings.stop(room)).then(
        () => reply({ type: 'recorded', segments: [...segments], dropped }),
        (error: unknown) => reply({ type: 'error', message: String(error) }),
      );
    } else if (message.type === 'close') {
      close();
    }
  });
  const { port } = await server.listen(0, '127.0.0.1');
  server.recordings.on('started', (_room, recorder) => {
    recorder.on('segmentClosed', (e) =>
      segments.push({
        seq: e.seq,
        durationMs: e.durationMs,
        encoderRtf: e.encoderRtf,
        compositorRtf: e.compositorRtf,
      }),
    );
    recorder.once('@close', () => (dropped = recorder.dropped));
  });
  reply({ type: 'ready', port, rss: process.memoryUsage.rss(), fingerprint: server.fingerprint });
}

if (require.main === module) runChild(runServer);
