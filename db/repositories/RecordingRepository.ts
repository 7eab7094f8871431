import type { Knex } from 'knex';
import { checkInteger, checkString, toNullableNumber, toNumber } from '../rows';

export type RecordingState = 'recording' | 'complete' | 'interrupted' | 'failed';
export type SegmentState = 'open' | 'complete' | 'partial' | 'failed';

/** A recording of a meeting (`recordings`). */
export interface Recording {
  id: number;
  meetingId: string;
  startedByUserId: number;
  startedByName: string;
  startedAt: number;
  stoppedAt: number | null;
  durationMs: number;
  sizeBytes: number;
  state: RecordingState;
  /** Folder of its segment files, relative to the recordings folder. */
  folder: string;
}

/** One segment file of a recording (`recording_segments`). */
export interface Segment {
  recordingId: number;
  seq: number;
  startedAt: number;
  durationMs: number | null;
  sizeBytes: number;
  /** Path relative to the recordings folder. */
  file: string;
  state: SegmentState;
}

interface RecordingRow {
  id: number | string;
  meeting_id: string;
  started_by_user_id: number | string;
  started_by_name: string;
  started_at: number | string;
  stopped_at: number | string | null;
  duration_ms: number | string;
  size_bytes: number | string;
  state: string;
  folder: string;
}

interface SegmentRow {
  recording_id: number | string;
  seq: number | string;
  started_at: number | string;
  duration_ms: number | string | null;
  size_bytes: number | string;
  file: string;
  state: string;
}

const RECORDING_STATES: readonly RecordingState[] = [
  'recording',
  'complete',
  'interrupted',
  'failed',
];
const SEGMENT_STATES: readonly SegmentState[] = ['open', 'complete', 'partial', 'failed'];

function recordingState(s: string): RecordingState {
  return (RECORDING_STATES as readonly string[]).includes(s) ? (s as RecordingState) : 'failed';
}

function segmentState(s: string): SegmentState {
  return (SEGMENT_STATES as readonly string[]).includes(s) ? (s as SegmentState) : 'failed';
}

function fromRow(row: RecordingRow): Recording {
  return {
    id: toNumber(row.id, 'recordings.id'),
    meetingId: row.meeting_id,
    startedByUserId: toNumber(row.started_by_user_id, 'recordings.started_by_user_id'),
    startedByName: row.started_by_name,
    startedAt: toNumber(row.started_at, 'recordings.started_at'),
    stoppedAt: toNullableNumber(row.stopped_at, 'recordings.stopped_at'),
    durationMs: toNumber(row.duration_ms, 'recordings.duration_ms'),
    sizeBytes: toNumber(row.size_bytes, 'recordings.size_bytes'),
    state: recordingState(row.state),
    folder: row.folder,
  };
}

function segmentFromRow(row: SegmentRow): Segment {
  return {
    recordingId: toNumber(row.recording_id, 'recording_segments.recording_id'),
    seq: toNumber(row.seq, 'recording_segments.seq'),
    startedAt: toNumber(row.started_at, 'recording_segments.started_at'),
    durationMs: toNullableNumber(row.duration_ms, 'recording_segments.duration_ms'),
    sizeBytes: toNumber(row.size_bytes, 'recording_segments.size_bytes'),
    file: row.file,
    state: segmentState(row.state),
  };
}

/** Recordings (`recordings`) and their segment files (`recording_segments`). */
export class RecordingRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Inserts a recording in state 'recording'; `folder(id)` names its folder from its id. */
  async create(
    r: Pick<Recording, 'meetingId' | 'startedByUserId' | 'startedByName' | 'startedAt'>,
    folder: (id: number) => string,
  ): Promise<Recording> {
    checkString(r.meetingId, 'meetingId', 16);
    checkInteger(r.startedByUserId, 'startedByUserId');
    checkString(r.startedByName, 'startedByName', 32);
    checkInteger(r.startedAt, 'startedAt');
    return this.#knex.transaction(async (trx) => {
      const ids: number[] = await trx('recordings').insert({
        meeting_id: r.meetingId,
        started_by_user_id: r.startedByUserId,
        started_by_name: r.startedByName,
        started_at: r.startedAt,
        stopped_at: null,
        duration_ms: 0,
        size_bytes: 0,
        state: 'recording',
        folder: '',
      });
      const id = toNumber(ids[0], 'recordings.id');
      const name = folder(id);
      checkString(name, 'folder', 255);
      await trx('recordings').where({ id }).update({ folder: name });
      return {
        ...r,
        id,
        stoppedAt: null,
        durationMs: 0,
        sizeBytes: 0,
        state: 'recording' as const,
        folder: name,
      };
    });
  }

  async findById(id: number): Promise<Recording | undefined> {
    const row = (await this.#knex('recordings').where({ id }).first()) as RecordingRow | undefined;
    return row && fromRow(row);
  }

  /** The meeting's recordings, newest first, at most `limit`. */
  async forMeeting(meetingId: string, limit: number): Promise<Recording[]> {
    checkInteger(limit, 'limit');
    const rows = (await this.#knex('recordings')
      .where({ meeting_id: meetingId })
      .orderBy('id', 'desc')
      .limit(limit)) as RecordingRow[];
    return rows.map(fromRow);
  }

  /** Recordings in `state` (at start-up: those a crash left 'recording'). */
  async inState(state: RecordingState): Promise<Recording[]> {
    const rows = (await this.#knex('recordings').where({ state }).orderBy('id')) as RecordingRow[];
    return rows.map(fromRow);
  }

  /** Recordings started before `at` (ms) and not being written, oldest first. */
  async olderThan(at: number, limit: number): Promise<Recording[]> {
    checkInteger(at, 'at');
    const rows = (await this.#knex('recordings')
      .where('started_at', '<', at)
      .whereNot({ state: 'recording' })
      .orderBy('id')
      .limit(limit)) as RecordingRow[];
    return rows.map(fromRow);
  }

  /** Recordings not being written, oldest first (the first to go when the disk limit is passed). */
  async oldestFinished(limit: number): Promise<Recording[]> {
    const rows = (await this.#knex('recordings')
      .whereNot({ state: 'recording' })
      .orderBy('id')
      .limit(limit)) as RecordingRow[];
    return rows.map(fromRow);
  }

  /** Bytes of every segment of every recording. */
  async totalBytes(): Promise<number> {
    const row = (await this.#knex('recording_segments').sum({ total: 'size_bytes' }).first()) as
      { total: number | string | null } | undefined;
    return toNullableNumber(row?.total ?? null, 'total') ?? 0;
  }

  /** Ends a recording: its state, stop time, and duration and size summed over its segments. */
  async finish(id: number, state: RecordingState, stoppedAt: number | null): Promise<void> {
    const sums = (await this.#knex('recording_segments')
      .where({ recording_id: id })
      .sum({ duration: 'duration_ms', bytes: 'size_bytes' })
      .first()) as { duration: number | string | null; bytes: number | string | null } | undefined;
    await this.#knex('recordings')
      .where({ id })
      .update({
        state,
        stopped_at: stoppedAt,
        duration_ms: toNullableNumber(sums?.duration ?? null, 'duration') ?? 0,
        size_bytes: toNullableNumber(sums?.bytes ?? null, 'bytes') ?? 0,
      });
  }

  /** Deletes a recording and its segment rows. */
  async delete(id: number): Promise<void> {
    await this.#knex.transaction(async (trx) => {
      await trx('recording_segments').where({ recording_id: id }).delete();
      await trx('recordings').where({ id }).delete();
    });
  }

  /** Inserts a segment row in state 'open'. */
  async openSegment(s: Pick<Segment, 'recordingId' | 'seq' | 'startedAt' | 'file'>): Promise<void> {
    checkInteger(s.recordingId, 'recordingId', 1);
    checkInteger(s.seq, 'seq');
    checkInteger(s.startedAt, 'startedAt');
    checkString(s.file, 'file', 255);
    await this.#knex('recording_segments').insert({
      recording_id: s.recordingId,
      seq: s.seq,
      started_at: s.startedAt,
      duration_ms: null,
      size_bytes: 0,
      file: s.file,
      state: 'open',
    });
  }

  /** Closes a segment: its state, duration and size. */
  async closeSegment(
    recordingId: number,
    seq: number,
    state: SegmentState,
    durationMs: number | null,
    sizeBytes: number,
  ): Promise<void> {
    if (durationMs !== null) checkInteger(durationMs, 'durationMs');
    checkInteger(sizeBytes, 'sizeBytes');
    await this.#knex('recording_segments')
      .where({ recording_id: recordingId, seq })
      .update({ state, duration_ms: durationMs, size_bytes: sizeBytes });
  }

  /** The recordings' segments in order; for several recordings at once. */
  async segments(recordingIds: number[]): Promise<Segment[]> {
    if (recordingIds.length === 0) return [];
    const rows = (await this.#knex('recording_segments')
      .whereIn('recording_id', recordingIds)
      .orderBy([
        { column: 'recording_id', order: 'asc' },
        { column: 'seq', order: 'asc' },
      ])) as SegmentRow[];
    return rows.map(segmentFromRow);
  }

  async segment(recordingId: number, seq: number): Promise<Segment | undefined> {
    const row = (await this.#knex('recording_segments')
      .where({ recording_id: recordingId, seq })
      .first()) as SegmentRow | undefined;
    return row && segmentFromRow(row);
  }

  /** Whether `userId` ever attended the meeting (members may list and download its recordings). */
  async attended(meetingId: string, userId: number): Promise<boolean> {
    const row: unknown = await this.#knex('meeting_members')
      .where({ meeting_id: meetingId, user_id: userId })
      .first('id');
    return row !== undefined;
  }
}
