/**
 * The lobby's intents: create or join a meeting (asking for a password when the meeting needs
 * one), the recent-meetings list, and the camera / microphone / speaker choices.
 */
import { ErrorCode, MeetingError } from '../../../common/errors';
import type { MeetingClient } from '../../MeetingClient';
import { initialChoices, type DeviceLists } from '../devices';
import { describeError } from '../format';
import type { MediaChoices } from '../mediaTypes';
import type { AppContext } from './AppContext';

export interface LobbyPageOptions {
  env: NodeJS.ProcessEnv;
  /** Lists the device pickers' choices. */
  listDevices: (videoFile: string | null) => DeviceLists;
  /** A meeting was entered: start its media. */
  entered: (client: MeetingClient) => Promise<void>;
}

export class LobbyPage {
  readonly #app: AppContext;
  readonly #options: LobbyPageOptions;

  constructor(app: AppContext, options: LobbyPageOptions) {
    this.#app = app;
    this.#options = options;
  }

  /** Reloads the recent-meetings list. */
  async refreshRecent(): Promise<void> {
    const app = this.#app;
    const client = app.client;
    if (!client) return;
    try {
      const { meetings } = await client.request('recentMeetings', {});
      if (app.client === client) app.set({ recent: meetings });
    } catch (error) {
      if (app.client === client) app.set({ lobbyError: describeError(error) });
    }
  }

  /** Lists devices (once per session unless forced) and picks initial choices. */
  refreshDevices(force = false): void {
    const { state } = this.#app;
    if (state.deviceLists && !force) return;
    const lists = this.#options.listDevices(state.videoFile);
    const devices = state.deviceLists ? state.devices : initialChoices(this.#options.env, lists);
    this.#app.set({ deviceLists: lists, devices });
  }

  /** Changes some of the device choices. */
  setDevices(patch: Partial<MediaChoices>): void {
    this.#app.set({ devices: { ...this.#app.state.devices, ...patch } });
  }

  /** Adds a chosen video file to the camera list and selects it. */
  chooseVideoFile(path: string): void {
    this.#app.set({
      videoFile: path,
      deviceLists: this.#options.listDevices(path),
      devices: { ...this.#app.state.devices, video: path },
    });
  }

  /** Creates a meeting (with an optional password) and enters it. */
  async createMeeting(name: string, password: string): Promise<void> {
    if (!name.trim()) return this.#app.set({ lobbyError: 'Enter a meeting name' });
    await this.#step(async (c) => {
      await c.createMeeting(name.trim(), password || undefined);
    });
  }

  /** Joins a meeting by id; a missing or wrong password shows the password field. */
  async joinMeeting(meetingId: string, password: string): Promise<void> {
    const id = meetingId.trim();
    if (!id) return this.#app.set({ lobbyError: 'Enter a meeting id' });
    await this.#step(
      async (c) => {
        await c.joinMeeting(id, password || undefined);
      },
      (error) => {
        if (error instanceof MeetingError && error.code === ErrorCode.MEETING_PASSWORD) {
          const text = password
            ? `Wrong meeting password (${error.code})`
            : `This meeting needs a password (${error.code})`;
          this.#app.set({ joinNeedsPassword: true, joinId: id, lobbyError: text });
          return true;
        }
        return false;
      },
    );
  }

  async #step(
    step: (c: MeetingClient) => Promise<void>,
    onError?: (error: unknown) => boolean,
  ): Promise<void> {
    const app = this.#app;
    const client = app.client;
    if (!client || app.state.busy) return;
    app.set({ busy: true, lobbyError: '' });
    try {
      await step(client);
    } catch (error) {
      app.set({ busy: false });
      if (!onError?.(error)) app.set({ lobbyError: describeError(error) });
      return;
    }
    app.set({ busy: false });
    await this.#options.entered(client);
  }
}
