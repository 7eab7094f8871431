/**
 * The desktop client's state and intents, without Qt or React. DesktopApp holds what the views
 * read (which page is shown, inline errors, the lobby's lists and device choices, the current
 * MeetingClient) and follows the client's events; the intents of each page live in a page
 * controller: `loginPage`, `lobbyPage`, `meetingPage`. Every protocol and media step is delegated
 * to MeetingClient / MediaSession.
 */
import os from 'node:os';
import path from 'node:path';
import { CHAT_LOG_DIR_DEFAULT, type FaceEffectName } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { ChatMessage, MeetingInfo, MemberInfo, RoomOptions } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { MeetingClient, MeetingClientEvents } from '../MeetingClient';
import { initialChoices, listDevices, type DeviceLists } from './devices';
import { describeError } from './format';
import type { MediaSessionLike } from './mediaTypes';
import type { AppContext, DesktopAppEvents, DesktopState } from './pages/AppContext';
import { FilesPage } from './pages/FilesPage';
import { HostPage } from './pages/HostPage';
import { LobbyPage } from './pages/LobbyPage';
import { JoinPage } from './pages/JoinPage';
import { LoginPage } from './pages/LoginPage';
import { MeetingPage, type MediaLoader } from './pages/MeetingPage';
import { SettingsStore } from './settings';
import { DESKTOP_NOTICE_MS } from '../../common/constants';
import { RecordingControls } from './pages/RecordingControls';

export type { DesktopAppEvents, DesktopState, Page, RecentMeeting } from './pages/AppContext';

export interface DesktopAppOptions {
  server: string;
  /**
   * Loads the media layer (called after login, so the first join does not wait for it); a null
   * factory runs without media (login, lobby and chat still work) and `reason` says why.
   */
  loadMedia: MediaLoader | null;
  env?: NodeJS.ProcessEnv;
  /** Lists the device pickers' choices (default: cameras and PortAudio's devices). */
  listDevices?: (videoFile: string | null) => DeviceLists;
  /** What is remembered between runs (default: nothing). */
  settings?: SettingsStore;
}

export class DesktopApp extends TypedEmitter<DesktopAppEvents> {
  /** Log in, register, log out. */
  readonly loginPage: LoginPage;
  /** Create or join a meeting, recent meetings, device choices. */
  readonly lobbyPage: LobbyPage;
  /** The join screen: preview, level meter, speaker test, start muted / camera off. */
  readonly joinPage: JoinPage;
  /** Media, microphone and camera, face effect, screen share, chat, leaving. */
  readonly meetingPage: MeetingPage;
  /** What is remembered between runs (server, username, window sizes). */
  readonly settings: SettingsStore;
  #noticeTimer: NodeJS.Timeout | null = null;
  /** The meeting's Files panel: send, offers, downloads, transfers; the chat-log setting. */
  readonly filesPage: FilesPage;
  /** Recording: start/stop (host), the indicator, the meeting's recordings (issue 13). */
  readonly recordings: RecordingControls;
  /** Host controls, the waiting room, raised hands and reactions. */
  readonly hostPage: HostPage;
  #state: DesktopState;
  #client: MeetingClient | null = null;
  #closed = false;
  readonly #detach: Array<() => void> = [];

  constructor(options: DesktopAppOptions) {
    super();
    const env = options.env ?? process.env;
    this.settings = options.settings ?? new SettingsStore(null);
    const remembered = this.settings.data;
    this.#state = {
      page: 'login',
      // An address given on the command line wins over the remembered one.
      server: options.server || remembered.server || '',
      busy: false,
      registerMode: false,
      loginError: '',
      loginInfo: '',
      loginFocus: null,
      loginFocusTick: 0,
      lastUsername: remembered.username ?? '',
      lobbyError: '',
      lobbyInfo: '',
      pending: null,
      startMuted: false,
      startCameraOff: false,
      speakerTest: false,
      notice: '',
      viewMode: 'gallery',
      pinned: null,
      sidePane: true,
      unreadChat: 0,
      connectionDetails: false,
      settingsOpen: false,
      fullScreen: false,
      joinNeedsPassword: false,
      joinId: '',
      recent: [],
      devices: initialChoices(env),
      deviceLists: null,
      videoFile: null,
      mediaError: '',
      meetingError: '',
      toolbarError: '',
      shareBusy: false,
      reconnecting: null,
      trustPrompt: null,
      saveChat: env.MEETING_SAVE_CHAT !== '0',
      chatLogDir: env.MEETING_CHAT_LOG_DIR ?? path.join(os.homedir(), CHAT_LOG_DIR_DEFAULT),
      chatSaved: '',
    };
    const context = this.#context();
    this.filesPage = new FilesPage(context, env);
    this.hostPage = new HostPage(context, {
      notify: (text) => this.#notify(text),
      media: () => this.meetingPage.media,
    });
    this.meetingPage = new MeetingPage(context, options.loadMedia);
    const loadMedia = options.loadMedia;
    this.recordings = new RecordingControls(context);
    this.lobbyPage = new LobbyPage(context, {
      env,
      listDevices: options.listDevices ?? listDevices,
      entered: async (client) => {
        await this.meetingPage.startMedia(client);
        // The effect chosen on the join screen (remembered for the account, told to the room).
        if (this.joinPage.effect !== this.meetingPage.effect)
          await this.meetingPage.setEffect(this.joinPage.effect);
      },
      chosen: (pending) => this.joinPage.open(pending, this.meetingPage.effect),
    });
    this.joinPage = new JoinPage(context, {
      preview: () => {
        if (!loadMedia) return { factory: null, reason: 'media disabled' };
        const layer = loadMedia();
        return { factory: layer.preview ?? null, reason: layer.reason };
      },
      enter: (pending) => this.lobbyPage.enter(pending),
      setDevices: (patch) => this.lobbyPage.setDevices(patch),
    });
    this.loginPage = new LoginPage(context, {
      loggedIn: (client) => this.#loggedIn(client),
      loggingOut: async () => {
        await this.joinPage.stopPreview();
        await this.meetingPage.stopMedia();
        this.#dropClient();
      },
      remember: (server, username) => this.settings.update({ server, username }),
    });
  }

  /** What the views show (a new object on every change). */
  get state(): Readonly<DesktopState> {
    return this.#state;
  }
  /** The logged-in client, or null. */
  get client(): MeetingClient | null {
    return this.#client;
  }
  /** The running media session, or null. */
  get media(): MediaSessionLike | null {
    return this.meetingPage.media;
  }
  /** The member heard loudest now, or null. */
  get activeSpeaker(): number | null {
    return this.meetingPage.activeSpeaker;
  }
  /** This client's member id while logged in. */
  get selfId(): number | null {
    return this.#client?.session?.memberId ?? null;
  }
  /** This client's username while logged in. */
  get username(): string {
    return this.#client?.session?.username ?? '';
  }
  /** Members of the current meeting, self included. */
  get members(): MemberInfo[] {
    return this.#client?.members ?? [];
  }
  /** Chat of the current meeting. */
  get chat(): readonly ChatMessage[] {
    return this.#client?.chat ?? [];
  }
  /** The current meeting, or null. */
  get meeting(): MeetingInfo | null {
    return this.#client?.meeting ?? null;
  }
  /** This member's face effect: the one being chosen, else the room's (the account's remembered one). */
  get effect(): FaceEffectName {
    return this.meetingPage.effect;
  }
  /** True while this client shares its screen. */
  get screenSharing(): boolean {
    return this.meetingPage.media?.screenSharing ?? false;
  }
  /** The host's options for the current meeting. */
  get roomOptions(): RoomOptions {
    return this.#client?.roomOptions ?? { allowMultipleScreens: false };
  }
  /** True when this member hosts the current meeting. */
  get isHost(): boolean {
    return this.#client?.self?.isHost ?? false;
  }
  /** The member whose share keeps this one from starting (as the server's state says), or null. */
  get shareBlockedBy(): MemberInfo | null {
    return this.#client?.shareBlockedBy ?? null;
  }

  #set(patch: Partial<DesktopState>): void {
    this.#state = { ...this.#state, ...patch };
    this.safeEmit('state');
  }

  #context(): AppContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read this app
    const app = this;
    return {
      get state() {
        return app.#state;
      },
      get client() {
        return app.#client;
      },
      get closed() {
        return app.#closed;
      },
      set: (patch) => this.#set(patch),
      emit: this.safeEmit.bind(this),
    };
  }

  // ---- following the client ------------------------------------------------------------------

  #loggedIn(client: MeetingClient): void {
    this.#adopt(client);
    this.#set({
      busy: false,
      page: 'lobby',
      registerMode: false,
      lobbyError: '',
      joinNeedsPassword: false,
    });
    this.lobbyPage.refreshDevices();
    void this.lobbyPage.refreshRecent();
    // Load the media layer (OpenCV, Opus…) now rather than when the first meeting is joined.
    setTimeout(() => this.meetingPage.preloadMedia(), 100).unref();
  }

  /** Starts following a logged-in client's events. */
  #adopt(client: MeetingClient): void {
    this.#dropClient();
    this.#client = client;
    this.recordings.adopt(client);
    const on = <K extends keyof MeetingClientEvents & string>(
      event: K,
      listener: (...args: MeetingClientEvents[K]) => void,
    ): void => {
      client.on(event, listener);
      this.#detach.push(() => client.off(event, listener));
    };
    const changed = (): void => {
      this.safeEmit('meeting');
    };
    on('memberJoined', (member) => {
      this.#notify(`${member.username} joined`);
      this.meetingPage.cue('join');
      changed();
    });
    on('memberLeft', (member) => {
      this.#notify(`${member.username} left`);
      this.meetingPage.cue('leave');
      if (this.#state.pinned === member.memberId) this.#set({ pinned: null });
      changed();
    });
    on('hostChanged', changed);
    on('mediaState', changed);
    on('effectChanged', changed);
    on('screenShare', changed);
    on('roomOptions', changed);
    on('memberConnection', changed);
    // A dropped link is a banner over the meeting, not a return to the login page: the client
    // resumes its session by itself, and the video tiles freeze until it is back.
    on('reconnecting', (r) =>
      this.#set({ reconnecting: { attempt: r.attempt, nextInS: Math.ceil(r.delayMs / 1000) } }),
    );
    on('reconnected', () => {
      this.#set({ reconnecting: null });
      this.safeEmit('meeting');
    });
    this.filesPage.adopt(client);
    this.hostPage.adopt(client);
    client.chatLog = this.#state.saveChat ? this.#state.chatLogDir : null;
    on('chatSaved', (file) => this.#set({ chatSaved: `Chat saved to ${file}` }));
    on('chatSaveFailed', (why) => this.#set({ chatSaved: `Chat not saved: ${why}` }));
    on('chat', (message) => {
      if (!this.#state.sidePane) this.#set({ unreadChat: this.#state.unreadChat + 1 });
      this.safeEmit('chat', message);
      this.safeEmit('meeting');
    });
    on('joined', () => {
      this.#set({
        page: 'meeting',
        meetingError: '',
        toolbarError: '',
        lobbyError: '',
        lobbyInfo: '',
        joinNeedsPassword: false,
        joinId: '',
        pending: null,
        notice: '',
        pinned: null,
        unreadChat: 0,
        settingsOpen: false,
      });
      this.safeEmit('meeting');
    });
    on('left', () => {
      void this.meetingPage.stopMedia();
      if (this.#client === client && client.session) {
        this.#set({ page: 'lobby', fullScreen: false });
        void this.lobbyPage.refreshRecent();
      }
      this.safeEmit('meeting');
    });
    on('kicked', (kicked) => {
      void this.joinPage.stopPreview();
      void this.meetingPage.stopMedia();
      const text = describeError(new MeetingError(kicked.code, kicked.message));
      this.#dropClient();
      void client.close();
      this.#set({ page: 'login', busy: false, loginError: text });
    });
    on('close', () => {
      this.#set({ reconnecting: null });
      if (this.#client !== client) return;
      void this.joinPage.stopPreview();
      void this.meetingPage.stopMedia();
      this.#dropClient();
      if (!this.#closed)
        this.#set({
          page: 'login',
          busy: false,
          loginError: describeError(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'closed')),
        });
    });
  }

  // ---- the meeting window's view choices --------------------------------------------------------

  /** Shows a short notice in the meeting window (replacing the previous one). */
  #notify(text: string): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#set({ notice: text });
    this.#noticeTimer = setTimeout(() => {
      this.#noticeTimer = null;
      this.#set({ notice: '' });
    }, DESKTOP_NOTICE_MS);
    this.#noticeTimer.unref();
  }

  /** Shows a short notice (e.g. "Invite copied"). */
  notify(text: string): void {
    this.#notify(text);
  }

  /** Gallery (every tile the same size) or speaker view (one large tile over a strip). */
  setViewMode(mode: 'gallery' | 'speaker'): void {
    this.#set({ viewMode: mode, ...(mode === 'gallery' ? { pinned: null } : {}) });
  }

  /** Pins a member large in the speaker view (again: unpins). */
  togglePin(memberId: number): void {
    if (this.#state.pinned === memberId) this.#set({ pinned: null });
    else this.#set({ pinned: memberId, viewMode: 'speaker' });
  }

  /** Shows or hides the people and chat pane; showing it marks the chat read. */
  toggleSidePane(): void {
    const show = !this.#state.sidePane;
    this.#set({ sidePane: show, ...(show ? { unreadChat: 0 } : {}) });
  }

  /** Shows or hides the status bar's developer figures. */
  toggleConnectionDetails(): void {
    this.#set({ connectionDetails: !this.#state.connectionDetails });
  }

  /** Fills the screen with the window, or returns it to its size. */
  toggleFullScreen(): void {
    this.#set({ fullScreen: !this.#state.fullScreen });
  }

  /** Shows or hides the in-meeting device settings. */
  toggleSettings(): void {
    if (!this.#state.settingsOpen && !this.#state.deviceLists) this.lobbyPage.refreshDevices();
    this.#set({ settingsOpen: !this.#state.settingsOpen });
  }

  #dropClient(): void {
    for (const d of this.#detach.splice(0)) d();
    this.recordings.adopt(null);
    this.#client = null;
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /** Leaves the meeting and closes the connection (window closed). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    const client = this.#client;
    await this.joinPage.stopPreview();
    await this.meetingPage.stopMedia();
    this.#dropClient();
    if (client) {
      if (client.meeting) await client.leaveMeeting().catch(() => undefined);
      await client.close();
    }
  }
}
