/**
 * The client's side of recording (issue 13), on top of MeetingClient's requests: the recording
 * indicator of the current meeting, and the pull-based download of a recording's segment files
 * (a few chunk requests in flight, each written where it belongs, the size checked at the end).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RECORDING_CHUNK_BYTES, RECORDING_DOWNLOAD_WINDOW } from '../common/constants';
import { ErrorCode, MeetingError } from '../common/errors';
import type { JoinResult, RecordingInfo, RecordingStatus } from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import type { MeetingClient } from './MeetingClient';

export const NOT_RECORDING: RecordingStatus = {
  active: false,
  recordingId: null,
  by: null,
  since: null,
};

export type RecordingIndicatorEvents = {
  /** The current meeting's recording started or stopped (or the meeting was entered or left). */
  changed: [status: RecordingStatus];
};

/** Whether the meeting this client is in is being recorded: told on joining, then by events. */
export class RecordingIndicator extends TypedEmitter<RecordingIndicatorEvents> {
  #status: RecordingStatus = NOT_RECORDING;
  readonly #client: MeetingClient;
  readonly #onJoined = (r: JoinResult): void => this.#set(r.recording ?? NOT_RECORDING);
  readonly #onEvent = (s: RecordingStatus): void => this.#set(s);
  readonly #onLeft = (): void => this.#set(NOT_RECORDING);
  /** Events missed while the link was down: the meeting's recordings say whether one runs. */
  readonly #onReconnected = (): void => void this.refresh().catch(() => undefined);

  constructor(client: MeetingClient) {
    super();
    this.#client = client;
    client.on('joined', this.#onJoined);
    client.on('recording', this.#onEvent);
    client.on('left', this.#onLeft);
    client.on('reconnected', this.#onReconnected);
  }

  /** Asks the server whether the current meeting is being recorded (after a reconnect). */
  async refresh(): Promise<void> {
    const meeting = this.#client.meeting;
    if (!meeting) return this.#set(NOT_RECORDING);
    const { recordings } = await this.#client.request('listRecordings', { meetingId: meeting.id });
    const live = recordings.find((r) => r.state === 'recording');
    this.#set(
      live
        ? { active: true, recordingId: live.id, by: live.startedBy, since: live.startedAt }
        : NOT_RECORDING,
    );
  }

  get status(): RecordingStatus {
    return this.#status;
  }

  dispose(): void {
    this.#client.off('joined', this.#onJoined);
    this.#client.off('recording', this.#onEvent);
    this.#client.off('left', this.#onLeft);
    this.#client.off('reconnected', this.#onReconnected);
  }

  #set(s: RecordingStatus): void {
    this.#status = s;
    this.safeEmit('changed', s);
  }
}

export interface DownloadOptions {
  /** Called after each chunk with the bytes written so far and the file's size. */
  onProgress?: (done: number, size: number) => void;
  signal?: AbortSignal;
}

/**
 * Downloads segment `seq` of a recording into `file`; resolves with its size. Chunks are pulled
 * (the server sends nothing unasked), RECORDING_DOWNLOAD_WINDOW at a time.
 */
export async function downloadSegment(
  client: MeetingClient,
  recordingId: number,
  seq: number,
  file: string,
  options: DownloadOptions = {},
): Promise<number> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const handle = await fs.promises.open(file, 'w');
  try {
    const read = async (offset: number): Promise<{ size: number; length: number }> => {
      options.signal?.throwIfAborted();
      const chunk = await client.request('readRecording', {
        recordingId,
        segment: seq,
        offset,
        length: RECORDING_CHUNK_BYTES,
      });
      const data = Buffer.from(chunk.data, 'base64');
      if (chunk.offset !== offset || data.length > RECORDING_CHUNK_BYTES)
        throw new MeetingError(ErrorCode.BAD_REQUEST, 'the server sent a chunk out of place');
      if (data.length > 0) await handle.write(data, 0, data.length, offset);
      return { size: chunk.size, length: data.length };
    };
    const first = await read(0);
    const size = first.size;
    let done = first.length;
    options.onProgress?.(done, size);
    let next = first.length;
    const worker = async (): Promise<void> => {
      while (next < size) {
        const offset = next;
        next += RECORDING_CHUNK_BYTES;
        const got = await read(offset);
        if (got.length === 0) throw new MeetingError(ErrorCode.BAD_REQUEST, 'the file shrank');
        done += got.length;
        options.onProgress?.(done, size);
      }
    };
    await Promise.all(Array.from({ length: RECORDING_DOWNLOAD_WINDOW }, worker));
    if (done !== size)
      throw new MeetingError(ErrorCode.BAD_REQUEST, `got ${done} of ${size} bytes`);
    return size;
  } finally {
    await handle.close();
  }
}

/** Downloads every playable segment of a recording into `dir`; returns the files in order. */
export async function downloadRecording(
  client: MeetingClient,
  recording: RecordingInfo,
  dir: string,
  options: DownloadOptions = {},
): Promise<string[]> {
  const files: string[] = [];
  for (const s of recording.segments) {
    if (s.state === 'failed') continue;
    const file = path.join(
      dir,
      `recording-${recording.id}-${String(s.index).padStart(4, '0')}.mkv`,
    );
    await downloadSegment(client, recording.id, s.index, file, options);
    files.push(file);
  }
  return files;
}
