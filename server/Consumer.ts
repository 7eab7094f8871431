/**
 * One receiver-stream of the relay: the frames of one media kind going out on one member's link.
 * Never queues without bound: video keeps at most one waiting frame (the newest) once the socket is
 * backed up; audio is dropped once more than about RELAY_AUDIO_QUEUE_MS is queued.
 */
import { AUDIO_FRAME_MS, RELAY_AUDIO_QUEUE_MS, RELAY_VIDEO_QUEUE_BYTES } from '../common/constants';
import type { FramedSocket } from '../common/FramedSocket';
import type { RelayProbe } from './Relay';

/** Arrival stamp of one relayed frame; passed only while a RelayProbe is set (benchmarks). */
export interface FrameTrace {
  probe: RelayProbe;
  /** `process.hrtime.bigint()` when the relay took the frame. */
  receivedAt: bigint;
}

export class Consumer {
  readonly kind: 'audio' | 'video';
  readonly socket: FramedSocket;
  /** Frames written to the socket. */
  sent = 0;
  /** Frames dropped because the receiver did not keep up. */
  dropped = 0;
  #waiting: Buffer | null = null;
  #waitingTrace: FrameTrace | undefined = undefined;

  constructor(kind: 'audio' | 'video', socket: FramedSocket) {
    this.kind = kind;
    this.socket = socket;
    if (kind === 'video') socket.on('drain', () => this.#flush());
  }

  /** Bytes queued for this receiver (socket buffer plus a waiting frame). */
  get queuedBytes(): number {
    return this.socket.queuedBytes + (this.#waiting?.length ?? 0);
  }

  push(frame: Buffer, trace?: FrameTrace): void {
    if (this.socket.closed) return;
    if (this.kind === 'audio') {
      // About RELAY_AUDIO_QUEUE_MS of frames of this size; beyond that, late audio is useless.
      if (this.socket.queuedBytes > frame.length * (RELAY_AUDIO_QUEUE_MS / AUDIO_FRAME_MS)) {
        this.dropped++;
        return;
      }
      this.socket.writeFrame(frame);
      this.sent++;
      if (trace) this.#traced(trace);
      return;
    }
    if (this.socket.queuedBytes < RELAY_VIDEO_QUEUE_BYTES && this.#waiting === null) {
      this.socket.writeFrame(frame);
      this.sent++;
      if (trace) this.#traced(trace);
      return;
    }
    // Backed up: keep only the newest frame for when the socket drains.
    if (this.#waiting !== null) this.dropped++;
    this.#waiting = frame;
    this.#waitingTrace = trace;
  }

  #flush(): void {
    const frame = this.#waiting;
    if (frame === null) return;
    const trace = this.#waitingTrace;
    this.#waiting = null;
    this.#waitingTrace = undefined;
    this.socket.writeFrame(frame);
    this.sent++;
    if (trace) this.#traced(trace);
  }

  /** Reports the time from the relay taking a frame to its write on this socket. */
  #traced(trace: FrameTrace): void {
    trace.probe.written(this.kind, Number(process.hrtime.bigint() - trace.receivedAt));
  }
}
