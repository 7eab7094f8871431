/**
 * The desktop's recording intents (issue 13): the host starts and stops the meeting's recording;
 * everyone sees whether it records (told on joining, then by events); anyone lists the meeting's
 * recordings and downloads one to play. Qt-free: the views and the player window call these.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordingInfo, RecordingStatus } from '../../../common/protocol';
import type { MeetingClient } from '../../MeetingClient';
import { NOT_RECORDING, RecordingIndicator, downloadRecording } from '../../recordings';
import { describeError } from '../format';
import type { AppContext } from './AppContext';

export class RecordingControls {
  readonly #app: AppContext;
  #indicator: RecordingIndicator | null = null;
  #busy = false;
  #error = '';

  constructor(app: AppContext) {
    this.#app = app;
  }

  /** Whether the current meeting is being recorded, by whom, since when. */
  get status(): RecordingStatus {
    return this.#indicator?.status ?? NOT_RECORDING;
  }
  /** A start or stop is in flight. */
  get busy(): boolean {
    return this.#busy;
  }
  /** Why the last start, stop or list failed ('' when it did not). */
  get error(): string {
    return this.#error;
  }

  /** Follows a logged-in client (null: logged out). */
  adopt(client: MeetingClient | null): void {
    this.#indicator?.dispose();
    this.#indicator = null;
    if (!client) return;
    const indicator = new RecordingIndicator(client);
    indicator.on('changed', () => this.#app.emit('meeting'));
    this.#indicator = indicator;
  }

  /** The host starts the recording, or stops it when it runs. */
  async toggle(): Promise<void> {
    const client = this.#app.client;
    if (!client || this.#busy) return;
    this.#busy = true;
    this.#error = '';
    this.#app.emit('meeting');
    try {
      if (this.status.active) await client.request('stopRecording', {});
      else await client.request('startRecording', {});
    } catch (error) {
      this.#error = describeError(error);
    } finally {
      this.#busy = false;
      this.#app.emit('meeting');
    }
  }

  /** The current meeting's recordings. */
  async list(): Promise<RecordingInfo[]> {
    const client = this.#app.client;
    const meeting = client?.meeting;
    if (!client || !meeting) return [];
    return (await client.request('listRecordings', { meetingId: meeting.id })).recordings;
  }

  /** Downloads a recording's segments into a fresh temp folder; resolves with the files. */
  async download(
    recording: RecordingInfo,
    onProgress?: (done: number, size: number) => void,
  ): Promise<string[]> {
    const client = this.#app.client;
    if (!client) return [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-recording-'));
    return downloadRecording(client, recording, dir, onProgress ? { onProgress } : {});
  }
}
