/**
 * What the desktop UI needs from the media layer, declared here so the UI compiles and runs (login,
 * lobby, chat) whether or not `client/media/MediaSession` is present. The UI renders what a session
 * emits and sends it intents (microphone/camera on or off, face effect, screen share); it never
 * touches frames itself except to paint the JPEGs it is handed. `test/integration/desktop.test.ts`
 * checks at compile time that the real `MediaSession` still satisfies `MediaSessionLike`.
 */
import type { FaceEffectName } from '../../common/constants';
import type { MeetingClient } from '../MeetingClient';

/** A remote picture: one JPEG of a member's camera (source 0) or screen (source 1). */
export interface RemoteVideoFrameLike {
  memberId: number;
  source: number;
  jpeg: Buffer;
  capturedAt: number;
}

/** The subset of MediaSession statistics the status bar shows. */
export interface MediaStatsLike {
  sent: { audio: number; video: number; screen: number };
  received: { audio: number; video: number };
  videoDropped: number;
  audioDropped: number;
  videoLatencyMs: number | null;
  audioLatencyMs: number | null;
}

export interface MediaSessionLike {
  on(event: 'video', listener: (frame: RemoteVideoFrameLike) => void): this;
  on(event: 'localVideo', listener: (frame: { jpeg: Buffer; capturedAt: number }) => void): this;
  on(event: 'activeSpeaker', listener: (memberId: number | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  off(event: 'video', listener: (frame: RemoteVideoFrameLike) => void): this;
  off(event: 'localVideo', listener: (frame: { jpeg: Buffer; capturedAt: number }) => void): this;
  off(event: 'activeSpeaker', listener: (memberId: number | null) => void): this;
  off(event: 'error', listener: (error: Error) => void): this;
  /** Opens capture and playback and starts sending and receiving. */
  start(): Promise<void>;
  /** Turns capture on or off and announces it to the room. */
  setMicrophone(on: boolean): Promise<void>;
  setCamera(on: boolean): Promise<void>;
  readonly microphoneOn: boolean;
  readonly cameraOn: boolean;
  /** Switches the face effect of the camera (remembered for the account; the room is told). */
  setEffect(effect: FaceEffectName): Promise<void>;
  readonly effect: FaceEffectName;
  /** Shares the screen as a second video source; rejects with ERR_SCREEN_SHARE_BUSY when refused. */
  startScreenShare(): Promise<void>;
  stopScreenShare(): Promise<void>;
  readonly screenSharing: boolean;
  stats(): MediaStatsLike;
  stop(): Promise<void>;
}

/** Camera choice: the synthetic pattern, a video file path, a camera index, or none. */
export type VideoChoice = 'testpattern' | 'none' | string | number;
/** Microphone choice: a test tone, a PortAudio input id (-1 = default), or none. */
export type AudioChoice = 'tone' | 'none' | number;
/** Speaker choice: a PortAudio output id (-1 = default), or none. */
export type SpeakerChoice = 'none' | number;

export interface MediaChoices {
  video: VideoChoice;
  audio: AudioChoice;
  speaker: SpeakerChoice;
}

export type MediaSessionFactory = (
  client: MeetingClient,
  choices: MediaChoices,
) => MediaSessionLike;

/**
 * Loads `client/media/MediaSession` at run time, or returns null (with the reason) when it is
 * absent or fails to load (e.g. a native module is not built): the UI then runs without media.
 */
export function loadMediaSessionFactory(): { factory: MediaSessionFactory | null; reason: string } {
  type Ctor = new (client: MeetingClient, options: MediaChoices) => MediaSessionLike;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../media/MediaSession') as { MediaSession?: Ctor };
    const MediaSession = mod.MediaSession;
    if (typeof MediaSession !== 'function')
      return { factory: null, reason: 'client/media/MediaSession exports no MediaSession' };
    return { factory: (client, choices) => new MediaSession(client, choices), reason: '' };
  } catch (error) {
    return {
      factory: null,
      reason: `media unavailable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
}
