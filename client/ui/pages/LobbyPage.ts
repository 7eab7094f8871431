/**
 * The lobby's intents: create or join a meeting (asking for a password when the meeting needs
 * one), the recent-meetings list, and the camera / microphone / speaker choices.
 */
import { ErrorCode, MeetingError } from '../../../common/errors';
import type { MeetingClient } from '../../MeetingClient';
import { initialChoices, type DeviceLists } from '../devices';
import { describeError } from '../format';
import type { MediaChoices } from '../mediaTypes';
import type { AppContext, PendingEntry } from './AppContext';

export interface LobbyPageOptions {
  env: NodeJS.ProcessEnv;
  /** Lists the device pickers' choices. */
  listDevices: (videoFile: string | null) => DeviceLists;
  /** A meeting was entered: start its media. */
  entered: (client: MeetingClient) => Promise<void>;
  /** A meeting was chosen: show the join screen before entering it. */
  chosen: (pending: PendingEntry) => void;
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

  /** Chooses to create a meeting (with an optional password): the join screen comes first. */
  createMeeting(name: string, password: string): void {
    if (!name.trim()) return this.#app.set({ lobbyError: 'Enter a meeting name', lobbyInfo: '' });
    this.#options.chosen({ kind: 'create', name: name.trim(), password });
  }

  /** Chooses to join a meeting by id: the join screen comes first. */
  joinMeeting(meetingId: string, password: string): void {
    const id = meetingId.trim();
    if (!id) return this.#app.set({ lobbyError: 'Enter a meeting id', lobbyInfo: '' });
    this.#options.chosen({ kind: 'join', meetingId: id, password });
  }

  /**
   * Creates or joins the chosen meeting and starts its media; false when it failed (the error or
   * the password prompt is in the state).
   */
  async enter(pending: PendingEntry): Promise<boolean> {
    if (pending.kind === 'create')
      return this.#step(async (c) => {
        await c.createMeeting(pending.name, pending.password || undefined);
      });
    return this.#join(pending.meetingId, pending.password);
  }

  /** Joins a meeting by id; a missing or wrong password shows the password field. */
  async #join(id: string, password: string): Promise<boolean> {
    return this.#step(
      async (c) => {
        await c.joinMeeting(id, password || undefined);
      },
      (error) => {
        if (error instanceof MeetingError && error.code === ErrorCode.MEETING_PASSWORD) {
          // A first prompt is information; a wrong password is an error.
          this.#app.set(
            password
              ? {
                  joinNeedsPassword: true,
                  joinId: id,
                  lobbyInfo: '',
                  lobbyError: `Wrong meeting password (${error.code})`,
                }
              : {
                  joinNeedsPassword: true,
                  joinId: id,
                  lobbyError: '',
                  lobbyInfo: 'This meeting needs a password: enter it and press Join',
                },
          );
          return true;
        }
        return false;
      },
    );
  }

  async #step(
    step: (c: MeetingClient) => Promise<void>,
    onError?: (error: unknown) => boolean,
  ): Promise<boolean> {
    const app = this.#app;
    const client = app.client;
    if (!client || app.state.busy) return false;
    app.set({ busy: true, lobbyError: '', lobbyInfo: '' });
    try {
      await step(client);
    } catch (error) {
      app.set({ busy: false });
      if (!onError?.(error)) app.set({ lobbyError: describeError(error) });
      return false;
    }
    app.set({ busy: false });
    await this.#options.entered(client);
    return true;
  }
}
