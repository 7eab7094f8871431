/**
 * The join screen's intents, between choosing a meeting and entering it: a live preview of the
 * chosen camera with the chosen face effect, a microphone level meter, a speaker test tone, and
 * "start muted" / "camera off"; Join enters the meeting with those choices, Back returns to the
 * lobby. The preview's devices are closed before the meeting's own media opens them.
 */
import type { FaceEffectName } from '../../../common/constants';
import { describeError } from '../format';
import type { MediaChoices, PreviewFactory, PreviewLike } from '../mediaTypes';
import type { AppContext, PendingEntry } from './AppContext';

export interface JoinPageOptions {
  /** The preview factory, or null without a media layer (the screen then says so). */
  preview: () => { factory: PreviewFactory | null; reason: string };
  /** Creates or joins the meeting (LobbyPage.enter). */
  enter: (pending: PendingEntry) => Promise<boolean>;
  /** Changes device choices (LobbyPage.setDevices). */
  setDevices: (patch: Partial<MediaChoices>) => void;
}

export class JoinPage {
  readonly #app: AppContext;
  readonly #options: JoinPageOptions;
  #preview: PreviewLike | null = null;
  #effect: FaceEffectName = 'none';

  constructor(app: AppContext, options: JoinPageOptions) {
    this.#app = app;
    this.#options = options;
  }

  /** The running preview, or null. */
  get preview(): PreviewLike | null {
    return this.#preview;
  }
  /** The face effect chosen on the join screen (applied on entering). */
  get effect(): FaceEffectName {
    return this.#effect;
  }

  /** Shows the join screen for `pending` and starts the preview. */
  open(pending: PendingEntry, effect: FaceEffectName): void {
    const app = this.#app;
    this.#effect = effect;
    app.set({
      page: 'join',
      pending,
      lobbyError: '',
      lobbyInfo: '',
      joinNeedsPassword: false,
      mediaError: '',
    });
    this.#startPreview();
  }

  #startPreview(): void {
    const app = this.#app;
    const { factory, reason } = this.#options.preview();
    if (!factory) {
      app.set({ mediaError: reason || 'no preview: media unavailable' });
      return;
    }
    try {
      const preview = factory(app.state.devices, this.#effect);
      preview.on('error', (error) => app.set({ mediaError: describeError(error) }));
      preview.start();
      this.#preview = preview;
      app.emit('preview', preview);
    } catch (error) {
      app.set({ mediaError: describeError(error) });
    }
  }

  setStartMuted(on: boolean): void {
    this.#app.set({ startMuted: on });
  }

  setStartCameraOff(on: boolean): void {
    this.#app.set({ startCameraOff: on });
  }

  /** Switches the previewed face effect (applied to the camera on entering). */
  setEffect(effect: FaceEffectName): void {
    this.#effect = effect;
    this.#preview?.setEffect(effect);
    this.#app.emit('preview', this.#preview);
  }

  /** Changes device choices; the preview moves to them. */
  async setDevices(patch: Partial<MediaChoices>): Promise<void> {
    this.#options.setDevices(patch);
    await this.#preview?.setChoices(this.#app.state.devices).catch((error: unknown) => {
      this.#app.set({ mediaError: describeError(error) });
    });
  }

  /** Plays the test tone on the chosen speaker. */
  async testSpeaker(): Promise<void> {
    const app = this.#app;
    if (!this.#preview) return app.set({ mediaError: 'no speaker test: media unavailable' });
    app.set({ speakerTest: true, mediaError: '' });
    try {
      await this.#preview.playTestTone();
    } catch (error) {
      app.set({ mediaError: describeError(error) });
    }
    app.set({ speakerTest: false });
  }

  /** The microphone's loudest level since the last read (dBFS), for the meter. */
  takeLevel(): number {
    return this.#preview?.takeLevel() ?? Number.NEGATIVE_INFINITY;
  }

  /** Enters the meeting with the choices made (a password typed here replaces the lobby's). */
  async join(password?: string): Promise<void> {
    const app = this.#app;
    const pending = app.state.pending;
    if (!pending || app.state.busy) return;
    const entry: PendingEntry =
      password !== undefined && pending.kind === 'join' ? { ...pending, password } : pending;
    await this.stopPreview();
    app.set({ pending: entry });
    const ok = await this.#options.enter(entry);
    // Still on the join screen (a wrong password, a refusal): the preview runs again.
    if (!ok && app.state.page === 'join' && app.client) this.#startPreview();
  }

  /** Back to the lobby without entering. */
  async back(): Promise<void> {
    await this.stopPreview();
    this.#app.set({ page: 'lobby', pending: null, mediaError: '' });
  }

  /** Stops the preview (its devices are released). */
  async stopPreview(): Promise<void> {
    const preview = this.#preview;
    if (!preview) return;
    this.#preview = null;
    this.#app.emit('preview', null);
    await preview.stop().catch(() => undefined);
  }
}
