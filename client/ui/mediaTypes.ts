/**
 * What the desktop UI needs from the media layer. The types are derived from `MediaSession` with
 * `import type`, which loads nothing at run time: the UI compiles against the real class and still
 * runs (login, lobby, chat) when the media layer cannot load. The UI renders what a session emits
 * and sends it intents (microphone/camera on or off, face effect, screen share); it paints the
 * pictures it is handed and never decodes or analyses media itself.
 */
import type { MeetingClient } from '../MeetingClient';
import type { Picture } from '../media/frames';
import type { MediaSession, RemoteVideoFrame } from '../media/MediaSession';

export type { Picture, RemoteVideoFrame };

/** The part of a MediaSession the UI uses. */
export type MediaSessionLike = Pick<
  MediaSession,
  | 'on'
  | 'off'
  | 'start'
  | 'stop'
  | 'setMicrophone'
  | 'setCamera'
  | 'microphoneOn'
  | 'cameraOn'
  | 'setEffect'
  | 'effect'
  | 'startScreenShare'
  | 'stopScreenShare'
  | 'screenSharing'
  | 'stats'
>;

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
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../media/MediaSession') as Partial<typeof import('../media/MediaSession')>;
    const Session = mod.MediaSession;
    if (typeof Session !== 'function')
      return { factory: null, reason: 'client/media/MediaSession exports no MediaSession' };
    return { factory: (client, choices) => new Session(client, choices), reason: '' };
  } catch (error) {
    return {
      factory: null,
      reason: `media unavailable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
}
