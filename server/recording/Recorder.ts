/**
 * One recording of one room in progress. It watches the room through `room.observer` (no member on
 * the network): every frame the relay accepts is written, as is, to the compositor process's stdin
 * (one pipe write, about what one more receiver costs the relay), and the compositor decodes,
 * composes, mixes and drives ffmpeg off the server's thread. A pipe that backs up drops frames
 * rather than queueing them. Segment rows are written as the compositor reports them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Writable } from 'node:stream';
import { nowMs } from '../../common/clock';
import {
  FrameType,
  MAX_FRAME_SIZE,
  RECORDING_BATCH_MS,
  RECORDING_DELAY_MS,
  RECORDING_PIPE_MAX_BYTES,
  RECORDING_VIDEO,
} from '../../common/constants';
import { encodeFrame } from '../../common/framing';
import type { MediaLinkKind } from '../../common/links';
import type { LeaveReason } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { Database, Recording } from '../../db';
import type { Logger } from '../logger';
import type { Room } from '../Room';
import type { Writes } from '../Writes';
import type { CompositorCommand, CompositorEvent } from './compositor/protocol';

export type RecorderEvents = {
  /** A segment file was closed (for logs and the bench). */
  segmentClosed: [event: Extract<CompositorEvent, { event: 'segmentClosed' }>];
  /** The compositor finished (or died) and every row is written. */
  '@close': [];
};

export interface RecorderOptions {
  room: Room;
  recording: Recording;
  /** Absolute folder of this recording's files. */
  dir: string;
  segmentMs: number;
  ffmpeg: string;
  db: Database;
  writes: Writes;
  logger: Logger;
}

/** Waiting for the compositor to write the last moments and finish its file (ms). */
const STOP_TIMEOUT_MS = 15_000;

export class Recorder extends TypedEmitter<RecorderEvents> {
  readonly recording: Recording;
  readonly #options: RecorderOptions;
  readonly #child: ChildProcess;
  readonly #pipe: Writable;
  readonly #done: Promise<void>;
  /** Frames dropped because the compositor's pipe was full. */
  #dropped = 0;
  #stopping = false;
  #failed = false;
  /** Row writes of segments, in order. */
  #rows: Promise<unknown> = Promise.resolve();

  readonly #onFrame = (_kind: MediaLinkKind, _sender: number, frame: Buffer): void => {
    if (this.#pipe.writableLength > RECORDING_PIPE_MAX_BYTES) {
      this.#dropped++;
      return;
    }
    // Frames are batched into one writev every RECORDING_BATCH_MS: one system call for many
    // frames instead of one per frame (the compositor runs RECORDING_DELAY_MS behind anyway).
    if (!this.#corked) {
      this.#corked = true;
      this.#pipe.cork();
      setTimeout(this.#flush, RECORDING_BATCH_MS);
    }
    this.#pipe.write(frame);
  };
  #corked = false;
  readonly #flush = (): void => {
    this.#corked = false;
    this.#pipe.uncork();
  };
  readonly #onJoined = (memberId: number, username: string): void =>
    this.#send({ type: 'member', memberId, name: username, present: true });
  readonly #onLeft = (memberId: number, _reason: LeaveReason): void =>
    this.#send({ type: 'member', memberId, name: '', present: false });

  constructor(options: RecorderOptions) {
    super();
    this.#options = options;
    this.recording = options.recording;
    this.#child = spawn(process.execPath, [path.join(__dirname, 'compositor', 'main.js')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#pipe = this.#child.stdin as Writable;
    this.#pipe.on('error', () => undefined);
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (d: string) =>
      options.logger.warn({ recording: this.recording.id, stderr: d.slice(0, 500) }, 'compositor'),
    );
    const lines = readline.createInterface({ input: this.#child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => this.#onLine(line));
    this.#done = new Promise((resolve) => {
      this.#child.once('error', (error) => {
        options.logger.error({ err: error }, 'compositor failed to start');
        this.#failed = true;
        resolve();
      });
      this.#child.once('exit', (code) => {
        if (code !== 0) this.#failed = true;
        resolve();
      });
    });
    const { room } = options;
    this.#send({
      type: 'start',
      // The timeline starts now, as the recorder starts watching the room (the row's start is
      // the request's time, a database write earlier).
      t0: nowMs(),
      dir: options.dir,
      segmentMs: options.segmentMs,
      width: RECORDING_VIDEO.width,
      height: RECORDING_VIDEO.height,
      fps: RECORDING_VIDEO.fps,
      delayMs: RECORDING_DELAY_MS,
      ffmpeg: options.ffmpeg,
    });
    for (const m of room.members())
      if (room.announced(m))
        this.#send({ type: 'member', memberId: m.id, name: m.username, present: true });
    room.observer.on('frameIn', this.#onFrame);
    room.observer.on('memberJoined', this.#onJoined);
    room.observer.on('memberLeft', this.#onLeft);
    void this.#done.then(() => this.#finish());
  }

  /** The room recorded. */
  get room(): Room {
    return this.#options.room;
  }

  /** Frames dropped because the compositor's pipe was full. */
  get dropped(): number {
    return this.#dropped;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Stops at this instant: the compositor writes what was captured until now and closes its file.
   * Resolves once the files and rows are final. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#unwatch();
      this.#send({ type: 'stop', at: nowMs() });
      this.#pipe.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      timer.unref();
      void this.#done.then(() => clearTimeout(timer));
    }
    await new Promise<void>((resolve) => {
      if (this.#closed) resolve();
      else this.once('@close', () => resolve());
    });
  }

  #closed = false;

  #unwatch(): void {
    const { observer } = this.#options.room;
    observer.off('frameIn', this.#onFrame);
    observer.off('memberJoined', this.#onJoined);
    observer.off('memberLeft', this.#onLeft);
  }

  #send(cmd: CompositorCommand): void {
    if (this.#pipe.writableEnded || this.#pipe.destroyed) return;
    this.#pipe.write(
      encodeFrame(FrameType.CONTROL, Buffer.from(JSON.stringify(cmd)), MAX_FRAME_SIZE.control),
    );
  }

  #onLine(line: string): void {
    let e: CompositorEvent;
    try {
      e = JSON.parse(line) as CompositorEvent;
    } catch {
      return;
    }
    const { db, logger } = this.#options;
    const id = this.recording.id;
    if (e.event === 'segmentOpened') {
      const file = path.posix.join(this.recording.folder, e.file);
      this.#row(() =>
        db.recordings.openSegment({ recordingId: id, seq: e.seq, startedAt: e.startedAt, file }),
      );
    } else if (e.event === 'segmentClosed') {
      this.#row(() =>
        db.recordings.closeSegment(id, e.seq, e.ok ? 'complete' : 'failed', e.durationMs, e.bytes),
      );
      logger.info(
        {
          recording: id,
          seq: e.seq,
          durationMs: e.durationMs,
          bytes: e.bytes,
          encoderRtf: e.encoderRtf,
          compositorRtf: e.compositorRtf,
          error: e.error,
        },
        'recording segment closed',
      );
      this.safeEmit('segmentClosed', e);
    } else if (e.event === 'stats') {
      if (e.late > 0 || e.badFrames > 0 || this.#dropped > 0)
        logger.info(
          { recording: id, late: e.late, bad: e.badFrames, dropped: this.#dropped },
          'recording stats',
        );
    }
  }

  /** Segment rows are written in the order the compositor reported them. */
  #row(write: () => Promise<void>): void {
    this.#rows = this.#rows.then(write, write);
    this.#options.writes.track(this.#rows);
  }

  async #finish(): Promise<void> {
    this.#unwatch();
    const { db, writes } = this.#options;
    await this.#rows.catch(() => undefined);
    const state = this.#failed ? 'failed' : this.#stopping ? 'complete' : 'interrupted';
    const finished = db.recordings.finish(this.recording.id, state, Date.now());
    writes.track(finished);
    await finished.catch(() => undefined);
    this.#closed = true;
    this.safeEmit('@close');
  }
}
