/**
 * The recordings of this node: owns the Recorder of each room being recorded (keyed by meeting id,
 * so a recording outlives a member's link), checks that ffmpeg is there, keeps the recordings'
 * disk usage and age within their limits, and repairs what a crash left behind at start-up. The
 * rows (recordings, segments) are the shared state; recorders are node-local.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nowMs } from '../../common/clock';
import {
  RECORDING_LIST_MAX,
  RECORDING_LIST_SEGMENTS_MAX,
  RECORDING_MAX_BYTES,
  RECORDING_RETENTION_DAYS,
  RECORDING_SEGMENT_MINUTES,
  RECORDING_STOP_REPLY_MS,
  RECORDING_SWEEP_MS,
} from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { RecordingInfo, RecordingStatus } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { Database, Recording, Segment } from '../../db';
import type { Logger } from '../logger';
import type { Member } from '../Member';
import type { Room } from '../Room';
import type { Writes } from '../Writes';
import { Recorder } from './Recorder';

export interface RecordingOptions {
  /** Folder of all recordings (default `<data>/recordings`). */
  dir?: string;
  /** Segment length (ms; default RECORDING_SEGMENT_MINUTES). */
  segmentMs?: number;
  /** Disk space all recordings may use (bytes). */
  maxBytes?: number;
  /** Recordings older than this are deleted (days; 0 keeps them). */
  retentionDays?: number;
  /** The ffmpeg program (default `ffmpeg` on the PATH). */
  ffmpeg?: string;
}

export type RecordingsEvents = {
  /** A recording started in a room (the bench and tests watch its recorder). */
  started: [room: Room, recorder: Recorder];
};

const NOT_FOUND = 'no such recording, or you did not attend its meeting';

/** Runs ffprobe on a file: its duration in ms, or null when it is not playable. */
export function probeDuration(file: string, ffprobe = 'ffprobe'): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      ffprobe,
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
      { timeout: 30_000 },
      (error, stdout) => {
        const seconds = Number(String(stdout).trim());
        resolve(error || !Number.isFinite(seconds) ? null : Math.round(seconds * 1000));
      },
    );
  });
}

export class Recordings extends TypedEmitter<RecordingsEvents> {
  readonly dir: string;
  readonly segmentMs: number;
  readonly #options: Required<Omit<RecordingOptions, 'dir' | 'segmentMs'>>;
  readonly #db: Database;
  readonly #writes: Writes;
  readonly #logger: Logger;
  readonly #active = new Map<string, Recorder>();
  /** Rooms whose recording is being set up (the database row is on its way). */
  readonly #starting = new Set<string>();
  #ffmpeg: Promise<boolean> | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    options: RecordingOptions & { dataDir: string },
    db: Database,
    writes: Writes,
    logger: Logger,
  ) {
    super();
    this.dir = path.resolve(options.dir ?? path.join(options.dataDir, 'recordings'));
    this.segmentMs = options.segmentMs ?? RECORDING_SEGMENT_MINUTES * 60_000;
    this.#options = {
      maxBytes: options.maxBytes ?? RECORDING_MAX_BYTES,
      retentionDays: options.retentionDays ?? RECORDING_RETENTION_DAYS,
      ffmpeg: options.ffmpeg ?? 'ffmpeg',
    };
    this.#db = db;
    this.#writes = writes;
    this.#logger = logger;
  }

  /** Repairs what a crash left (recordings still 'recording', open segments), starts the sweeps. */
  async open(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const r of await this.#db.recordings.inState('recording')) {
      if (this.#active.has(r.meetingId)) continue;
      for (const s of await this.#db.recordings.segments([r.id])) {
        if (s.state !== 'open') continue;
        const file = this.#path(s.file);
        const duration = file ? await probeDuration(file, this.#ffprobe()) : null;
        const size = file ? sizeOf(file) : 0;
        await this.#db.recordings.closeSegment(
          r.id,
          s.seq,
          duration === null ? 'failed' : 'partial',
          duration,
          size,
        );
      }
      await this.#db.recordings.finish(r.id, 'interrupted', null);
      this.#logger.warn({ recording: r.id }, 'recording interrupted by a restart');
    }
    this.#sweeper = setInterval(() => void this.sweep().catch(() => undefined), RECORDING_SWEEP_MS);
    this.#sweeper.unref();
    await this.sweep();
  }

  /** The room's recording state, for join results and events. */
  status(meetingId: string): RecordingStatus {
    const r = this.#active.get(meetingId);
    if (!r || r.stopping) return { active: false, recordingId: null, by: null, since: null };
    const rec = r.recording;
    return {
      active: true,
      recordingId: rec.id,
      by: { userId: rec.startedByUserId, username: rec.startedByName },
      since: rec.startedAt,
    };
  }

  /** The recorder of a room being recorded (the bench watches its segments). */
  recorder(meetingId: string): Recorder | undefined {
    return this.#active.get(meetingId);
  }

  /** Starts recording `room` for `by` (the caller checked that `by` is its host). */
  async start(room: Room, by: Member): Promise<RecordingStatus> {
    if (this.#closed) throw new MeetingError(ErrorCode.SHUTTING_DOWN, 'the server is stopping');
    if (this.#active.has(room.id) || this.#starting.has(room.id))
      throw new MeetingError(ErrorCode.RECORDING_ACTIVE, 'the meeting is already being recorded');
    if (!(await this.#haveFfmpeg()))
      throw new MeetingError(
        ErrorCode.RECORDING_UNAVAILABLE,
        'this server cannot record (no ffmpeg)',
      );
    if ((await this.#db.recordings.totalBytes()) >= this.#options.maxBytes)
      throw new MeetingError(
        ErrorCode.RECORDING_UNAVAILABLE,
        'the disk space for recordings is used up; delete some first',
      );
    // Another start may have won while the database answered.
    if (this.#active.has(room.id) || this.#starting.has(room.id))
      throw new MeetingError(ErrorCode.RECORDING_ACTIVE, 'the meeting is already being recorded');
    this.#starting.add(room.id);
    let recording: Recording;
    try {
      recording = await this.#db.recordings.create(
        {
          meetingId: room.id,
          startedByUserId: by.userId,
          startedByName: by.username,
          startedAt: Math.round(nowMs()),
        },
        (id) => `${room.id}/${id}`,
      );
    } finally {
      this.#starting.delete(room.id);
    }
    if (room.closed || this.#closed) {
      await this.#db.recordings.finish(recording.id, 'failed', Date.now());
      throw new MeetingError(ErrorCode.NOT_IN_MEETING, 'the meeting ended');
    }
    const dir = path.join(this.dir, recording.folder);
    fs.mkdirSync(dir, { recursive: true });
    const recorder = new Recorder({
      room,
      recording,
      dir,
      segmentMs: this.segmentMs,
      ffmpeg: this.#options.ffmpeg,
      db: this.#db,
      writes: this.#writes,
      logger: this.#logger,
    });
    this.#active.set(room.id, recorder);
    recorder.once('@close', () => {
      if (this.#active.get(room.id) === recorder) this.#active.delete(room.id);
      if (!recorder.stopping && !room.closed) {
        // The compositor died on its own: the room is told the recording is off.
        room.broadcast('recording', this.status(room.id));
      }
    });
    // The meeting ended (its last member left, or the server stops): the recording ends with it.
    room.once('@close', () => void recorder.stop());
    this.safeEmit('started', room, recorder);
    return this.status(room.id);
  }

  /** Stops the room's recording; resolves with the finished recording. */
  async stop(room: Room): Promise<RecordingInfo> {
    const recorder = this.#active.get(room.id);
    if (!recorder || recorder.stopping)
      throw new MeetingError(ErrorCode.NOT_RECORDING, 'the meeting is not being recorded');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#halt(room, recorder),
      new Promise((resolve) => (timer = setTimeout(resolve, RECORDING_STOP_REPLY_MS))),
    ]);
    clearTimeout(timer);
    const [info] = await this.#infos([recorder.recording.id]);
    if (!info) throw new MeetingError(ErrorCode.RECORDING_NOT_FOUND, NOT_FOUND);
    return info;
  }

  /** The meeting's recordings for a user who attended it. */
  async list(meetingId: string, userId: number): Promise<RecordingInfo[]> {
    if (!(await this.#db.recordings.attended(meetingId, userId)))
      throw new MeetingError(ErrorCode.RECORDING_NOT_FOUND, NOT_FOUND);
    const rows = await this.#db.recordings.forMeeting(meetingId, RECORDING_LIST_MAX);
    return this.#infos(
      rows.map((r) => r.id),
      rows,
    );
  }

  /** A recording that `userId` may see (attended its meeting). */
  async visible(recordingId: number, userId: number): Promise<Recording> {
    const rec = await this.#db.recordings.findById(recordingId);
    if (!rec || !(await this.#db.recordings.attended(rec.meetingId, userId)))
      throw new MeetingError(ErrorCode.RECORDING_NOT_FOUND, NOT_FOUND);
    return rec;
  }

  /** One chunk of a segment file for a user who attended the meeting. */
  async read(
    recordingId: number,
    seq: number,
    offset: number,
    length: number,
    userId: number,
  ): Promise<{ data: Buffer; size: number }> {
    await this.visible(recordingId, userId);
    const segment = await this.#db.recordings.segment(recordingId, seq);
    const file = segment && segment.state !== 'failed' ? this.#path(segment.file) : null;
    if (!segment || !file) throw new MeetingError(ErrorCode.RECORDING_NOT_FOUND, NOT_FOUND);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch {
      throw new MeetingError(ErrorCode.RECORDING_NOT_FOUND, NOT_FOUND);
    }
    try {
      const { size } = await handle.stat();
      const want = Math.max(0, Math.min(length, size - offset));
      const data = Buffer.alloc(want);
      const { bytesRead } = want > 0 ? await handle.read(data, 0, want, offset) : { bytesRead: 0 };
      return { data: data.subarray(0, bytesRead), size };
    } finally {
      await handle.close();
    }
  }

  /** Deletes a recording: by the meeting's host or whoever started it, not while it records. */
  async delete(recordingId: number, userId: number): Promise<void> {
    const rec = await this.visible(recordingId, userId);
    const meeting = await this.#db.meetings.findById(rec.meetingId);
    if (meeting?.hostUserId !== userId && rec.startedByUserId !== userId)
      throw new MeetingError(ErrorCode.NOT_HOST, 'only the host can delete a recording');
    if (this.#active.get(rec.meetingId)?.recording.id === rec.id)
      throw new MeetingError(ErrorCode.RECORDING_ACTIVE, 'stop the recording first');
    await this.#remove(rec);
  }

  /** Applies the retention and disk limits: the oldest finished recordings go first. */
  async sweep(): Promise<void> {
    const { retentionDays, maxBytes } = this.#options;
    if (retentionDays > 0) {
      const before = Date.now() - retentionDays * 86_400_000;
      for (const r of await this.#db.recordings.olderThan(before, 100)) await this.#remove(r);
    }
    let total = await this.#db.recordings.totalBytes();
    if (total > maxBytes) {
      // A recording in progress that passes the limit is stopped.
      for (const r of [...this.#active.values()]) if (!r.stopping) void this.#halt(r.room, r);
      for (const r of await this.#db.recordings.oldestFinished(100)) {
        if (total <= maxBytes) break;
        total -= r.sizeBytes;
        await this.#remove(r);
      }
    }
  }

  /** Stops every recording (server shutdown) and waits for their files. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.all([...this.#active.values()].map((r) => r.stop()));
  }

  /** Stops a recording; the room sees the indicator go off at once, the files follow. */
  #halt(room: Room, recorder: Recorder): Promise<void> {
    const stopped = recorder.stop();
    if (!room.closed) room.broadcast('recording', this.status(room.id));
    return stopped;
  }

  async #remove(rec: Recording): Promise<void> {
    const dir = this.#path(rec.folder);
    await this.#db.recordings.delete(rec.id);
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
    this.#logger.info({ recording: rec.id, meeting: rec.meetingId }, 'recording deleted');
  }

  /** A row's relative path inside the recordings folder, or null if it would leave it. */
  #path(relative: string): string | null {
    const full = path.resolve(this.dir, relative);
    return full.startsWith(this.dir + path.sep) ? full : null;
  }

  #ffprobe(): string {
    const ff = this.#options.ffmpeg;
    return ff.endsWith('ffmpeg') ? `${ff.slice(0, -'ffmpeg'.length)}ffprobe` : 'ffprobe';
  }

  #haveFfmpeg(): Promise<boolean> {
    this.#ffmpeg ??= new Promise((resolve) =>
      execFile(this.#options.ffmpeg, ['-version'], { timeout: 10_000 }, (error) => resolve(!error)),
    );
    return this.#ffmpeg;
  }

  async #infos(ids: number[], rows?: Recording[]): Promise<RecordingInfo[]> {
    const recs =
      rows ??
      (await Promise.all(ids.map((id) => this.#db.recordings.findById(id)))).filter(
        (r): r is Recording => r !== undefined,
      );
    const segments = await this.#db.recordings.segments(recs.map((r) => r.id));
    const byRec = new Map<number, Segment[]>();
    for (const s of segments) {
      const list = byRec.get(s.recordingId) ?? [];
      list.push(s);
      byRec.set(s.recordingId, list);
    }
    return recs.map((r) => {
      const segs = (byRec.get(r.id) ?? []).slice(0, RECORDING_LIST_SEGMENTS_MAX);
      const live = r.state === 'recording';
      return {
        id: r.id,
        meetingId: r.meetingId,
        startedBy: { userId: r.startedByUserId, username: r.startedByName },
        startedAt: r.startedAt,
        stoppedAt: r.stoppedAt,
        durationMs: live ? segs.reduce((sum, s) => sum + (s.durationMs ?? 0), 0) : r.durationMs,
        bytes: live ? segs.reduce((sum, s) => sum + s.sizeBytes, 0) : r.sizeBytes,
        state: r.state,
        segments: segs.map((s) => ({
          index: s.seq,
          startedAt: s.startedAt,
          durationMs: s.durationMs,
          bytes: s.sizeBytes,
          state: s.state,
        })),
      };
    });
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
