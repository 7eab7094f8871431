/**
 * What the desktop UI needs from the media layer. The types are derived from `MediaSession` with
 * `import type`, which loads nothing at run time: the UI compiles against the real class and still
 * runs (login, lobby, chat) when the media layer cannot load. The UI renders what a session emits
 * and sends it intents (microphone/camera on or off, face effect, screen share); it paints the
 * pictures it is handed and never decodes or analyses media itself.
 */
import type { FaceEffectName } from '../../common/constants';
import type { MeetingClient } from '../MeetingClient';
import type { Picture } from '../media/frames';
import type { MediaSession, RemoteVideoFrame } from '../media/MediaSession';
import type { Preview } from '../media/Preview';
import type { CueKind } from '../media/playout/cues';

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
  | 'switchDevices'
  | 'playCue'
>;

/** The part of the join screen's Preview the UI uses. */
export type PreviewLike = Pick<
  Preview,
  | 'on'
  | 'off'
  | 'start'
  | 'stop'
  | 'setEffect'
  | 'setChoices'
  | 'takeLevel'
  | 'playTestTone'
  | 'testingSpeaker'
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

/** What the join screen chose besides devices. */
export interface StartChoices {
  startMuted: boolean;
  startCameraOff: boolean;
}

export type MediaSessionFactory = (
  client: MeetingClient,
  choices: MediaChoices,
  start?: StartChoices,
) => MediaSessionLike;

export type PreviewFactory = (choices: MediaChoices, effect: FaceEffectName) => PreviewLike;

/** Join / leave cue sounds as 20 ms frames. */
export type CueMaker = (kind: CueKind) => Int16Array[];

/** The media layer as the UI loads it: null factories run without media and `reason` says why. */
export interface MediaLayer {
  factory: MediaSessionFactory | null;
  preview: PreviewFactory | null;
  cue: CueMaker | null;
  reason: string;
}

/**
 * Loads `client/media/MediaSession` at run time, or returns null (with the reason) when it is
 * absent or fails to load (e.g. a native module is not built): the UI then runs without media.
 */
export function loadMediaSessionFactory(): MediaLayer {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const mod = require('../media/MediaSession') as Partial<typeof import('../media/MediaSession')>;
    const previewMod = require('../media/Preview') as typeof import('../media/Preview');
    const cues = require('../media/playout/cues') as typeof import('../media/playout/cues');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const Session = mod.MediaSession;
    if (typeof Session !== 'function')
      return {
        factory: null,
        preview: null,
        cue: null,
        reason: 'client/media/MediaSession exports no MediaSession',
      };
    return {
      factory: (client, choices, start) => new Session(client, { ...choices, ...start }),
      preview: (choices, effect) => new previewMod.Preview(choices, effect),
      cue: cues.cueFrames,
      reason: '',
    };
  } catch (error) {
    return {
      factory: null,
      preview: null,
      cue: null,
      reason: `media unavailable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
}
