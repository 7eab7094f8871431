/**
 * The client's media pipeline for one meeting: a `SendPath` (capture → effects → encode → transport)
 * and a `ReceivePath` (transport → jitter buffer / stale drop → decode → mix → play), joined to the
 * meeting through a MeetingClient: the clock, the room's view of this member's microphone, camera,
 * effect and screen share, and the members who leave. Both paths use the client's media transport,
 * which outlives the links behind it.
 */
import type { FaceEffectName } from '../../common/constants';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { MeetingClient } from '../MeetingClient';
import type { VideoFrame } from './frames';
import {
  ReceivePath,
  type ReceivePathOptions,
  type ReceiveStats,
  type RemoteVideoFrame,
} from './ReceivePath';
import { SendPath, type SendPathOptions } from './SendPath';

export type { RemoteVideoFrame } from './ReceivePath';

export interface MediaSessionOptions extends SendPathOptions, ReceivePathOptions {
  /** Face effect to start with (default: the one the account chose last). */
  effect?: FaceEffectName;
  /** Start with the microphone off (default: on when one is configured); it opens on unmute. */
  startMuted?: boolean;
  /** Start with the camera off (default: on when one is configured). */
  startCameraOff?: boolean;
}

/** Devices a running session can switch to (see `MediaSession.switchDevices`). */
export interface MediaDevices {
  video?: SendPathOptions['video'];
  audio?: SendPathOptions['audio'];
  speaker?: ReceivePathOptions['speaker'];
}

/** What the session sent and received: the send path's counters plus the receive path's stats. */
export interface MediaStats extends ReceiveStats {
  sent: { audio: number; video: number; screen: number };
  /** Audio frames not sent because they were silence. */
  silent: number;
  /** Video frames not sent because the video link was backed up. */
  sendDropped: number;
  effect: FaceEffectName;
  /** Mean cost of the current face effect per frame (ms), detection included. */
  effectMs: number;
}

export type MediaSessionEvents = {
  video: [frame: RemoteVideoFrame];
  /** Self view: each camera frame as captured (raw BGR, after the face effect). */
  localVideo: [frame: VideoFrame];
  activeSpeaker: [memberId: number | null];
  /** The mixed audio of one 20 ms tick, as played. */
  playout: [samples: Int16Array];
  error: [error: Error];
};

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  readonly #client: MeetingClient;
  readonly #options: MediaSessionOptions;
  readonly #send: SendPath;
  readonly #receive: ReceivePath;
  #cameraOn: boolean;
  #microphoneOn: boolean;
  #started = false;
  /** A member who left takes its jitter buffer and decoder along. */
  readonly #onMemberLeft = ({ memberId }: { memberId: number }): void =>
    this.#receive.forget(memberId);

  constructor(client: MeetingClient, options: MediaSessionOptions = {}) {
    super();
    this.#client = client;
    this.#options = { ...options };
    this.#cameraOn = (options.video ?? 'none') !== 'none' && !options.startCameraOff;
    this.#microphoneOn = (options.audio ?? 'none') !== 'none' && !options.startMuted;
    const error = (e: Error): void => void this.safeEmit('error', e);
    this.#send = new SendPath(client.transport, client.clock, this.#options, {
      localVideo: (frame) => this.safeEmit('localVideo', frame),
      error,
    });
    this.#receive = new ReceivePath(client.transport, client.clock, this.#options, {
      video: (frame) => this.safeEmit('video', frame),
      playout: (samples) => this.safeEmit('playout', samples),
      activeSpeaker: (id) => this.safeEmit('activeSpeaker', id),
      error,
    });
  }

  /** True while the camera is on (captured and sent). */
  get cameraOn(): boolean {
    return this.#cameraOn;
  }
  /** True while the microphone is on (captured and sent when not silent). */
  get microphoneOn(): boolean {
    return this.#microphoneOn;
  }
  /** The face effect applied to the camera. */
  get effect(): FaceEffectName {
    return this.#send.effects.effect;
  }
  /** True while this member's screen is sent. */
  get screenSharing(): boolean {
    return this.#send.screenSharing;
  }

  /** Syncs the clock, opens capture and playback, and starts sending and receiving. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#client.clock.samples < 3) await this.#client.syncClock(5);
    this.#send.effects.setEffect(this.#options.effect ?? this.#client.session?.effect ?? 'none');
    this.#client.on('memberLeft', this.#onMemberLeft);
    try {
      this.#receive.start();
      this.#send.start();
      if (this.#cameraOn) this.#send.openCamera();
      if (this.#microphoneOn) this.#send.openMicrophone();
    } catch (error) {
      // A source that cannot open leaves nothing running (the playout timer, another source).
      await this.stop();
      throw error;
    }
  }

  /** Turns the microphone on or off for real (capture stops) and tells the room. */
  async setMicrophone(on: boolean): Promise<void> {
    if (on === this.#microphoneOn) return;
    if ((this.#options.audio ?? 'none') === 'none' && on)
      throw new TypeError('no microphone configured');
    this.#microphoneOn = on;
    if (on) this.#send.openMicrophone();
    else await this.#send.closeMicrophone();
    await this.#client.setMediaState(this.#microphoneOn, this.#cameraOn);
  }

  /** Turns the camera on or off for real (capture stops) and tells the room. */
  async setCamera(on: boolean): Promise<void> {
    if (on === this.#cameraOn) return;
    if ((this.#options.video ?? 'none') === 'none' && on)
      throw new TypeError('no camera configured');
    this.#cameraOn = on;
    if (on) this.#send.openCamera();
    else this.#send.closeCamera();
    await this.#client.setMediaState(this.#microphoneOn, this.#cameraOn);
  }

  /**
   * Switches capture and playback devices without leaving: an open camera or microphone moves to
   * the new device; choosing 'none' turns it off (and the room is told).
   */
  async switchDevices(devices: MediaDevices): Promise<void> {
    const options = this.#options;
    const current = { video: options.video ?? 'none', audio: options.audio ?? 'none' };
    if (devices.video !== undefined) options.video = devices.video;
    if (devices.audio !== undefined) options.audio = devices.audio;
    await this.#send.switchSources({ video: options.video, audio: options.audio });
    if (devices.speaker !== undefined) await this.#receive.switchSpeaker(devices.speaker);
    // A device switched to 'none' turns its kind off; one switched from 'none' stays off until asked.
    const cameraOn = this.#cameraOn && (options.video ?? 'none') !== 'none';
    const microphoneOn = this.#microphoneOn && (options.audio ?? 'none') !== 'none';
    const changed =
      cameraOn !== this.#cameraOn ||
      microphoneOn !== this.#microphoneOn ||
      current.video !== options.video ||
      current.audio !== options.audio;
    if (!cameraOn) this.#send.closeCamera();
    if (!microphoneOn) await this.#send.closeMicrophone();
    this.#cameraOn = cameraOn;
    this.#microphoneOn = microphoneOn;
    if (changed && this.#started)
      await this.#client.setMediaState(this.#microphoneOn, this.#cameraOn);
  }

  /** Mixes a short local sound into playback (join / leave cues); nothing without a speaker. */
  playCue(frames: readonly Int16Array[]): void {
    this.#receive.playCue(frames);
  }

  /** Switches the face effect from the next frame on; remembered for the account, the room is told. */
  async setEffect(effect: FaceEffectName): Promise<void> {
    this.#send.effects.setEffect(effect);
    await this.#client.setEffect(effect);
  }

  /** Shares the screen as a second video source; rejects with ERR_SCREEN_SHARE_BUSY when refused. */
  async startScreenShare(): Promise<void> {
    await this.#send.startScreen(() => this.#client.startScreenShare());
  }

  /** Stops sharing the screen and gives the grant back. */
  async stopScreenShare(): Promise<void> {
    if (this.#send.stopScreen()) await this.#client.stopScreenShare().catch(() => undefined);
  }

  /** Counters and latencies of both paths. */
  stats(): MediaStats {
    const sent = this.#send.counters;
    const effect = this.#send.effects.effect;
    return {
      sent: { audio: sent.audio, video: sent.video, screen: sent.screen },
      silent: sent.silent,
      sendDropped: sent.dropped,
      ...this.#receive.stats(),
      effect,
      effectMs: this.#send.effects.timings[effect].meanMs,
    };
  }

  /** Stops capture and playback; idempotent. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#client.off('memberLeft', this.#onMemberLeft);
    await this.stopScreenShare();
    await this.#send.stop();
    await this.#receive.stop();
  }
}
