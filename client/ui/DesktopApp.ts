/**
 * The desktop client's state and intents, without Qt or React: which page is shown, inline errors,
 * the lobby's lists and device choices, the current MeetingClient and media session, and the
 * meeting's face effect and screen-share controls. Views read
 * `state` (and the client's getters) and call the intent methods; every protocol and media step is
 * delegated to MeetingClient / MediaSession.
 */
import { FACE_EFFECT_DEFAULT, type FaceEffectName } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { ChatMessage, MeetingInfo, MemberInfo, RoomOptions } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import { MeetingClient, parseServerAddress, type MeetingClientEvents } from '../MeetingClient';
import { initialChoices, listDevices, type DeviceLists } from './devices';
import { describeError } from './format';
import type { MediaChoices, MediaSessionFactory, MediaSessionLike } from './mediaTypes';

export type Page = 'login' | 'lobby' | 'meeting';

export type RecentMeeting = MeetingInfo & { lastJoinedAt: number };

export interface DesktopState {
  page: Page;
  /** Server address as typed (HOST:PORT). */
  server: string;
  /** A request is in flight: buttons that start another are disabled. */
  busy: boolean;
  registerMode: boolean;
  loginError: string;
  lastUsername: string;
  lobbyError: string;
  /** The last join failed for want of a (correct) password: the lobby shows the password field. */
  joinNeedsPassword: boolean;
  /** Meeting id to prefill in the join field (after a password prompt or a recent-list click). */
  joinId: string;
  recent: RecentMeeting[];
  devices: MediaChoices;
  deviceLists: DeviceLists | null;
  videoFile: string | null;
  /** Media problems (session could not start, capture failed), shown in the status bar. */
  mediaError: string;
  meetingError: string;
  /** The last face-effect, screen-share or room-option request failed: why (shown in the toolbar). */
  toolbarError: string;
  /** A screen-share start or stop is in flight. */
  shareBusy: boolean;
}

export type DesktopAppEvents = {
  /** `state` changed. */
  state: [];
  /** Members, host, media flags or chat of the current meeting changed. */
  meeting: [];
  /** A chat message arrived (or was sent). */
  chat: [message: ChatMessage];
  /** The media session was created or stopped. */
  media: [session: MediaSessionLike | null];
  activeSpeaker: [memberId: number | null];
};

export interface DesktopAppOptions {
  server: string;
  /**
   * Loads the media layer (called after login, so the first join does not wait for it); a null
   * factory runs without media (login, lobby and chat still work) and `reason` says why.
   */
  loadMedia: (() => { factory: MediaSessionFactory | null; reason: string }) | null;
  env?: NodeJS.ProcessEnv;
  /** Lists the device pickers' choices (default: cameras and PortAudio's devices). */
  listDevices?: (videoFile: string | null) => DeviceLists;
}

export class DesktopApp extends TypedEmitter<DesktopAppEvents> {
  readonly #loadMedia: (() => { factory: MediaSessionFactory | null; reason: string }) | null;
  readonly #env: NodeJS.ProcessEnv;
  readonly #listDevices: (videoFile: string | null) => DeviceLists;
  #state: DesktopState;
  #client: MeetingClient | null = null;
  #media: MediaSessionLike | null = null;
  #activeSpeaker: number | null = null;
  /** The effect just picked, shown until the server confirmed (or refused) it. */
  #effectPending: FaceEffectName | null = null;
  #closed = false;
  readonly #detach: Array<() => void> = [];

  constructor(options: DesktopAppOptions) {
    super();
    this.#loadMedia = options.loadMedia;
    this.#env = options.env ?? process.env;
    this.#listDevices = options.listDevices ?? listDevices;
    this.#state = {
      page: 'login',
      server: options.server,
      busy: false,
      registerMode: false,
      loginError: '',
      lastUsername: '',
      lobbyError: '',
      joinNeedsPassword: false,
      joinId: '',
      recent: [],
      devices: initialChoices(this.#env),
      deviceLists: null,
      videoFile: null,
      mediaError: '',
      meetingError: '',
      toolbarError: '',
      shareBusy: false,
    };
  }

  get state(): Readonly<DesktopState> {
    return this.#state;
  }
  get client(): MeetingClient | null {
    return this.#client;
  }
  get media(): MediaSessionLike | null {
    return this.#media;
  }
  get activeSpeaker(): number | null {
    return this.#activeSpeaker;
  }
  /** This client's member id while logged in. */
  get selfId(): number | null {
    return this.#client?.session?.memberId ?? null;
  }
  get username(): string {
    return this.#client?.session?.username ?? '';
  }
  get members(): MemberInfo[] {
    return this.#client?.members ?? [];
  }
  get chat(): readonly ChatMessage[] {
    return this.#client?.chat ?? [];
  }
  get meeting(): MeetingInfo | null {
    return this.#client?.meeting ?? null;
  }
  /** This member's face effect: the one being chosen, else the room's (the account's remembered one). */
  get effect(): FaceEffectName {
    const client = this.#client;
    return (
      this.#effectPending ?? client?.self?.effect ?? client?.session?.effect ?? FACE_EFFECT_DEFAULT
    );
  }
  /** True while this client shares its screen. */
  get screenSharing(): boolean {
    return this.#media?.screenSharing ?? false;
  }
  get roomOptions(): RoomOptions {
    return this.#client?.roomOptions ?? { allowMultipleScreens: false };
  }
  /** True when this member hosts the current meeting. */
  get isHost(): boolean {
    return this.#client?.self?.isHost ?? false;
  }
  /** Other members sharing their screen now, in join order. */
  get remoteSharers(): MemberInfo[] {
    return this.members.filter((m) => m.screen && m.memberId !== this.selfId);
  }
  /**
   * The member whose share keeps this one from starting (someone else shares and the host has not
   * allowed several screens), or null when sharing is possible.
   */
  get shareBlockedBy(): MemberInfo | null {
    if (this.screenSharing || this.roomOptions.allowMultipleScreens) return null;
    return this.remoteSharers[0] ?? null;
  }

  #set(patch: Partial<DesktopState>): void {
    this.#state = { ...this.#state, ...patch };
    this.safeEmit('state');
  }

  // ---- login ---------------------------------------------------------------------------------

  setRegisterMode(on: boolean): void {
    if (this.#state.registerMode !== on) this.#set({ registerMode: on, loginError: '' });
  }

  async login(server: string, username: string, password: string): Promise<void> {
    if (!username || !password) return this.#set({ loginError: 'Enter a username and a password' });
    await this.#enter(server, username, (c) => c.login(username, password));
  }

  async register(
    server: string,
    username: string,
    password: string,
    confirm: string,
  ): Promise<void> {
    if (!this.#state.registerMode)
      return this.#set({
        registerMode: true,
        loginError: 'Confirm the password, then press Register',
      });
    if (!username || !password) return this.#set({ loginError: 'Enter a username and a password' });
    if (password !== confirm) return this.#set({ loginError: 'The passwords do not match' });
    await this.#enter(server, username, (c) => c.register(username, password));
  }

  async #enter(
    server: string,
    username: string,
    step: (c: MeetingClient) => Promise<unknown>,
  ): Promise<void> {
    if (this.#state.busy) return;
    this.#set({ busy: true, loginError: '', server, lastUsername: username });
    let client: MeetingClient | null = null;
    try {
      client = new MeetingClient(parseServerAddress(server));
      await client.connect();
      await step(client);
    } catch (error) {
      void client?.close();
      this.#set({ busy: false, loginError: describeError(error) });
      return;
    }
    this.#adopt(client);
    this.#set({
      busy: false,
      page: 'lobby',
      registerMode: false,
      lobbyError: '',
      joinNeedsPassword: false,
    });
    this.refreshDevices();
    void this.refreshRecent();
    // Load the media layer (OpenCV, Opus…) now rather than when the first meeting is joined.
    setTimeout(() => this.#loadMedia?.(), 100).unref();
  }

  /** Starts following a logged-in client's events. */
  #adopt(client: MeetingClient): void {
    this.#dropClient();
    this.#client = client;
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
    on('memberJoined', changed);
    on('memberLeft', changed);
    on('hostChanged', changed);
    on('mediaState', changed);
    on('effectChanged', changed);
    on('screenShare', changed);
    on('roomOptions', changed);
    on('chat', (message) => {
      this.safeEmit('chat', message);
      this.safeEmit('meeting');
    });
    on('joined', () => {
      this.#set({
        page: 'meeting',
        meetingError: '',
        toolbarError: '',
        lobbyError: '',
        joinNeedsPassword: false,
        joinId: '',
      });
      this.safeEmit('meeting');
    });
    on('left', () => {
      void this.#stopMedia();
      if (this.#client === client && client.session) {
        this.#set({ page: 'lobby' });
        void this.refreshRecent();
      }
      this.safeEmit('meeting');
    });
    on('kicked', (kicked) => {
      void this.#stopMedia();
      const text = describeError(new MeetingError(kicked.code, kicked.message));
      this.#dropClient();
      void client.close();
      this.#set({ page: 'login', busy: false, loginError: text });
    });
    on('close', () => {
      if (this.#client !== client) return;
      void this.#stopMedia();
      this.#dropClient();
      if (!this.#closed)
        this.#set({
          page: 'login',
          busy: false,
          loginError: describeError(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'closed')),
        });
    });
  }

  #dropClient(): void {
    for (const d of this.#detach.splice(0)) d();
    this.#client = null;
  }

  async logout(): Promise<void> {
    const client = this.#client;
    await this.#stopMedia();
    this.#dropClient();
    if (client) {
      await client.logout().catch(() => undefined);
      await client.close();
    }
    this.#set({ page: 'login', loginError: '', busy: false });
  }

  // ---- lobby ---------------------------------------------------------------------------------

  async refreshRecent(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const { meetings } = await client.request('recentMeetings', {});
      if (this.#client === client) this.#set({ recent: meetings });
    } catch (error) {
      if (this.#client === client) this.#set({ lobbyError: describeError(error) });
    }
  }

  /** Lists devices (once per session unless forced) and picks initial choices. */
  refreshDevices(force = false): void {
    if (this.#state.deviceLists && !force) return;
    const lists = this.#listDevices(this.#state.videoFile);
    const devices = this.#state.deviceLists
      ? this.#state.devices
      : initialChoices(this.#env, lists);
    this.#set({ deviceLists: lists, devices });
  }

  setDevices(patch: Partial<MediaChoices>): void {
    this.#set({ devices: { ...this.#state.devices, ...patch } });
  }

  /** Adds a chosen video file to the camera list and selects it. */
  chooseVideoFile(path: string): void {
    this.#state = { ...this.#state, videoFile: path };
    this.#set({
      deviceLists: this.#listDevices(path),
      devices: { ...this.#state.devices, video: path },
    });
  }

  async createMeeting(name: string, password: string): Promise<void> {
    if (!name.trim()) return this.#set({ lobbyError: 'Enter a meeting name' });
    await this.#lobbyStep(async (c) => {
      await c.createMeeting(name.trim(), password || undefined);
    });
  }

  async joinMeeting(meetingId: string, password: string): Promise<void> {
    const id = meetingId.trim();
    if (!id) return this.#set({ lobbyError: 'Enter a meeting id' });
    await this.#lobbyStep(
      async (c) => {
        await c.joinMeeting(id, password || undefined);
      },
      (error) => {
        if (error instanceof MeetingError && error.code === ErrorCode.MEETING_PASSWORD) {
          const text = password
            ? `Wrong meeting password (${error.code})`
            : `This meeting needs a password (${error.code})`;
          this.#set({ joinNeedsPassword: true, joinId: id, lobbyError: text });
          return true;
        }
        return false;
      },
    );
  }

  async #lobbyStep(
    step: (c: MeetingClient) => Promise<void>,
    onError?: (error: unknown) => boolean,
  ): Promise<void> {
    const client = this.#client;
    if (!client || this.#state.busy) return;
    this.#set({ busy: true, lobbyError: '' });
    try {
      await step(client);
    } catch (error) {
      this.#set({ busy: false });
      if (!onError?.(error)) this.#set({ lobbyError: describeError(error) });
      return;
    }
    this.#set({ busy: false });
    await this.#startMedia(client);
  }

  // ---- meeting -------------------------------------------------------------------------------

  async #startMedia(client: MeetingClient): Promise<void> {
    const { factory, reason } = this.#loadMedia?.() ?? { factory: null, reason: 'media disabled' };
    const { video, audio } = this.#state.devices;
    if (!factory) {
      // Without a media layer the room still learns that this member sends nothing.
      await client.setMediaState(false, false).catch(() => undefined);
      this.#set({ mediaError: reason || 'media unavailable' });
      this.safeEmit('meeting');
      return;
    }
    let session: MediaSessionLike;
    try {
      session = factory(client, this.#state.devices);
    } catch (error) {
      this.#set({ mediaError: describeError(error) });
      await client.setMediaState(false, false).catch(() => undefined);
      return;
    }
    session.on('activeSpeaker', (id) => {
      this.#activeSpeaker = id;
      this.safeEmit('activeSpeaker', id);
    });
    session.on('error', (error) => this.#set({ mediaError: describeError(error) }));
    this.#media = session;
    this.#set({ mediaError: '' });
    this.safeEmit('media', session);
    try {
      await session.start();
    } catch (error) {
      this.#set({ mediaError: describeError(error) });
    }
    if (this.#media !== session || !client.meeting) return;
    await client
      .setMediaState(session.microphoneOn && audio !== 'none', session.cameraOn && video !== 'none')
      .catch(() => undefined);
    this.safeEmit('meeting');
  }

  async #stopMedia(): Promise<void> {
    const session = this.#media;
    if (!session) return;
    this.#media = null;
    this.#activeSpeaker = null;
    this.safeEmit('media', null);
    await session.stop().catch(() => undefined);
  }

  async leaveMeeting(): Promise<void> {
    const client = this.#client;
    if (!client?.meeting) return;
    await this.#stopMedia();
    try {
      await client.leaveMeeting();
    } catch (error) {
      this.#set({ meetingError: describeError(error) });
    }
  }

  async say(text: string, to: string | null): Promise<boolean> {
    const client = this.#client;
    if (!client || !text.trim()) return false;
    try {
      const message = await client.say(text, to ?? undefined);
      this.#set({ meetingError: '' });
      this.safeEmit('chat', message);
      this.safeEmit('meeting');
      return true;
    } catch (error) {
      this.#set({ meetingError: describeError(error) });
      return false;
    }
  }

  /** This member's microphone / camera as the room sees them. */
  selfMediaState(): { audio: boolean; video: boolean } {
    const self = this.members.find((m) => m.memberId === this.selfId);
    return { audio: self?.audio ?? false, video: self?.video ?? false };
  }

  async toggleMicrophone(): Promise<void> {
    await this.#toggle('audio');
  }

  async toggleCamera(): Promise<void> {
    await this.#toggle('video');
  }

  async #toggle(kind: 'audio' | 'video'): Promise<void> {
    const client = this.#client;
    if (!client?.meeting) return;
    const current = this.selfMediaState();
    const on = !current[kind];
    try {
      if (this.#media) {
        if (kind === 'audio') await this.#media.setMicrophone(on);
        else await this.#media.setCamera(on);
      } else if (on) {
        throw new TypeError(
          `no ${kind === 'audio' ? 'microphone' : 'camera'}: media is unavailable`,
        );
      } else {
        await client.setMediaState(
          kind === 'audio' ? false : current.audio,
          kind === 'video' ? false : current.video,
        );
      }
    } catch (error) {
      this.#set({ mediaError: describeError(error) });
    }
    this.safeEmit('meeting');
  }

  /** Switches this member's face effect (through the media session, so the camera shows it). */
  async setEffect(effect: FaceEffectName): Promise<void> {
    const client = this.#client;
    if (!client?.meeting || effect === this.effect) return;
    this.#effectPending = effect;
    this.#set({ toolbarError: '' });
    try {
      // Without media the choice is still remembered for the account and announced.
      if (this.#media) await this.#media.setEffect(effect);
      else await client.setEffect(effect);
    } catch (error) {
      this.#set({ toolbarError: describeError(error) });
    } finally {
      if (this.#effectPending === effect) this.#effectPending = null;
    }
    this.safeEmit('meeting');
  }

  /** Starts sharing the screen, or stops it; a refusal (ERR_SCREEN_SHARE_BUSY) is shown. */
  async toggleScreenShare(): Promise<void> {
    const media = this.#media;
    if (!this.#client?.meeting || this.#state.shareBusy) return;
    this.#set({ shareBusy: true, toolbarError: '' });
    try {
      if (!media) throw new TypeError('cannot share the screen: media is unavailable');
      if (media.screenSharing) await media.stopScreenShare();
      else await media.startScreenShare();
    } catch (error) {
      this.#set({ toolbarError: describeError(error) });
    }
    this.#set({ shareBusy: false });
    this.safeEmit('meeting');
  }

  /** Host only: lets several members share their screens at once. */
  async setAllowMultipleScreens(allow: boolean): Promise<void> {
    const client = this.#client;
    if (!client?.meeting) return;
    this.#set({ toolbarError: '' });
    try {
      await client.setRoomOptions({ ...client.roomOptions, allowMultipleScreens: allow });
    } catch (error) {
      this.#set({ toolbarError: describeError(error) });
    }
    this.safeEmit('meeting');
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /** Leaves the meeting and closes the connection (window closed). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    await this.#stopMedia();
    this.#dropClient();
    if (client) {
      if (client.meeting) await client.leaveMeeting().catch(() => undefined);
      await client.close();
    }
  }
}
