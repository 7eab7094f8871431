/**
 * The meeting page's intents and its media session: start media on entering (or run without it
 * and say why), microphone and camera, face effect, screen share, the host's room option, chat,
 * and leaving. Protocol and media work is MeetingClient's and MediaSession's; this only calls them
 * and shows what failed.
 */
import {
  CHAT_MAX_LENGTH,
  FACE_EFFECT_DEFAULT,
  type FaceEffectName,
} from '../../../common/constants';
import type { MediaLinkKind } from '../../../common/links';
import type { MeetingClient } from '../../MeetingClient';
import { describeError } from '../format';
import type { MediaChoices, MediaLayer, MediaSessionLike } from '../mediaTypes';
import type { CueKind } from '../../media/playout/cues';
import type { AppContext } from './AppContext';

/** Loads the media layer; a null factory runs without media and `reason` says why. */
export type MediaLoader = () => Pick<MediaLayer, 'factory' | 'reason'> &
  Partial<Pick<MediaLayer, 'preview' | 'cue'>>;

export class MeetingPage {
  readonly #app: AppContext;
  readonly #loadMedia: MediaLoader | null;
  #media: MediaSessionLike | null = null;
  #activeSpeaker: number | null = null;
  /** The effect just picked, shown until the server confirmed (or refused) it. */
  #effectPending: FaceEffectName | null = null;

  constructor(app: AppContext, loadMedia: MediaLoader | null) {
    this.#app = app;
    this.#loadMedia = loadMedia;
  }

  /** The running media session, or null. */
  get media(): MediaSessionLike | null {
    return this.#media;
  }
  /** The member heard loudest now, or null. */
  get activeSpeaker(): number | null {
    return this.#activeSpeaker;
  }
  /** This member's face effect: the one being chosen, else the room's (the account's remembered one). */
  get effect(): FaceEffectName {
    const client = this.#app.client;
    return (
      this.#effectPending ?? client?.self?.effect ?? client?.session?.effect ?? FACE_EFFECT_DEFAULT
    );
  }

  /** Loads the media layer ahead of the first meeting (it takes a while). */
  preloadMedia(): void {
    this.#loadMedia?.();
  }

  /** Starts the media session for the meeting just entered, or tells the room it sends nothing. */
  async startMedia(client: MeetingClient): Promise<void> {
    const app = this.#app;
    const { factory, reason } = this.#loadMedia?.() ?? { factory: null, reason: 'media disabled' };
    const { video, audio } = app.state.devices;
    if (!factory) {
      // Without a media layer the room still learns that this member sends nothing.
      await client.setMediaState(false, false).catch(() => undefined);
      app.set({ mediaError: reason || 'media unavailable' });
      app.emit('meeting');
      return;
    }
    let session: MediaSessionLike;
    try {
      session = factory(client, app.state.devices, {
        startMuted: app.state.startMuted,
        startCameraOff: app.state.startCameraOff,
      });
    } catch (error) {
      app.set({ mediaError: describeError(error) });
      await client.setMediaState(false, false).catch(() => undefined);
      return;
    }
    session.on('activeSpeaker', (id) => {
      this.#activeSpeaker = id;
      app.emit('activeSpeaker', id);
    });
    session.on('error', (error) => app.set({ mediaError: describeError(error) }));
    this.#media = session;
    app.set({ mediaError: '' });
    app.emit('media', session);
    try {
      await session.start();
    } catch (error) {
      app.set({ mediaError: describeError(error) });
    }
    if (this.#media !== session || !client.meeting) return;
    await client
      .setMediaState(session.microphoneOn && audio !== 'none', session.cameraOn && video !== 'none')
      .catch(() => undefined);
    app.emit('meeting');
  }

  /** Switches camera, microphone or speaker without leaving (the in-meeting settings). */
  async switchDevices(patch: Partial<MediaChoices>): Promise<void> {
    const app = this.#app;
    app.set({ devices: { ...app.state.devices, ...patch }, mediaError: '' });
    try {
      await this.#media?.switchDevices(patch);
    } catch (error) {
      app.set({ mediaError: describeError(error) });
    }
    app.emit('meeting');
  }

  /** Plays a join / leave cue through the speaker (nothing without media or a speaker). */
  cue(kind: CueKind): void {
    const make = this.#loadMedia?.().cue;
    if (this.#media && make) this.#media.playCue(make(kind));
  }

  /** Stops the media session, if one runs. */
  async stopMedia(): Promise<void> {
    const session = this.#media;
    if (!session) return;
    this.#media = null;
    this.#activeSpeaker = null;
    this.#app.emit('media', null);
    await session.stop().catch(() => undefined);
  }

  /** Leaves the meeting (the client's 'left' event brings the lobby back). */
  async leave(): Promise<void> {
    const client = this.#app.client;
    if (!client?.meeting) return;
    await this.stopMedia();
    try {
      await client.leaveMeeting();
    } catch (error) {
      this.#app.set({ meetingError: describeError(error) });
    }
  }

  /**
   * Sends a chat message (to one member when `to` is set; with `everyone`, a text that @mentions
   * someone still goes to the whole room); false when it was not sent.
   */
  async say(text: string, to: string | null, everyone = false): Promise<boolean> {
    const app = this.#app;
    const client = app.client;
    if (!client || !text.trim()) return false;
    if (text.length > CHAT_MAX_LENGTH) {
      app.set({
        meetingError: `The message is ${text.length - CHAT_MAX_LENGTH} characters too long (at most ${CHAT_MAX_LENGTH})`,
      });
      return false;
    }
    try {
      const message = await client.say(text, to ?? undefined, { everyone });
      app.set({ meetingError: '' });
      app.emit('chat', message);
      app.emit('meeting');
      return true;
    } catch (error) {
      app.set({ meetingError: describeError(error) });
      return false;
    }
  }

  /** This member's microphone / camera as the room sees them. */
  selfMediaState(): { audio: boolean; video: boolean } {
    const self = this.#app.client?.self;
    return { audio: self?.audio ?? false, video: self?.video ?? false };
  }

  /** Turns the microphone on or off. */
  async toggleMicrophone(): Promise<void> {
    await this.#toggle('audio');
  }

  /** Turns the camera on or off. */
  async toggleCamera(): Promise<void> {
    await this.#toggle('video');
  }

  async #toggle(kind: MediaLinkKind): Promise<void> {
    const app = this.#app;
    const client = app.client;
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
      app.set({ mediaError: describeError(error) });
    }
    app.emit('meeting');
  }

  /** Switches this member's face effect (through the media session, so the camera shows it). */
  async setEffect(effect: FaceEffectName): Promise<void> {
    const app = this.#app;
    const client = app.client;
    if (!client?.meeting || effect === this.effect) return;
    this.#effectPending = effect;
    app.set({ toolbarError: '' });
    try {
      // Without media the choice is still remembered for the account and announced.
      if (this.#media) await this.#media.setEffect(effect);
      else await client.setEffect(effect);
    } catch (error) {
      app.set({ toolbarError: describeError(error) });
    } finally {
      if (this.#effectPending === effect) this.#effectPending = null;
    }
    app.emit('meeting');
  }

  /** Starts sharing the screen, or stops it; a refusal (ERR_SCREEN_SHARE_BUSY) is shown. */
  async toggleScreenShare(): Promise<void> {
    const app = this.#app;
    const media = this.#media;
    if (!app.client?.meeting || app.state.shareBusy) return;
    app.set({ shareBusy: true, toolbarError: '' });
    try {
      if (!media) throw new TypeError('cannot share the screen: media is unavailable');
      if (media.screenSharing) await media.stopScreenShare();
      else await media.startScreenShare();
    } catch (error) {
      app.set({ toolbarError: describeError(error) });
    }
    app.set({ shareBusy: false });
    app.emit('meeting');
  }

  /** Host only: lets several members share their screens at once. */
  async setAllowMultipleScreens(allow: boolean): Promise<void> {
    const app = this.#app;
    const client = app.client;
    if (!client?.meeting) return;
    app.set({ toolbarError: '' });
    try {
      await client.setRoomOptions({ ...client.roomOptions, allowMultipleScreens: allow });
    } catch (error) {
      app.set({ toolbarError: describeError(error) });
    }
    app.emit('meeting');
  }
}
