/**
 * Link kinds as data. A client opens one control link and one link per media kind; each kind's
 * row says how big its frames may be, which media kind its frames carry, and how a receiver's
 * outgoing queue treats them when the receiver falls behind. A new kind (files, captions) is a new
 * row here plus, at most, a new queue policy on the server: nothing else branches on kind names.
 */
import {
  FrameType,
  LINK_KINDS,
  MAX_FRAME_SIZE,
  MediaKind,
  type LinkKind,
  type MediaKindValue,
} from './constants';

export { LINK_KINDS, type LinkKind };

/** How a receiver's outgoing queue treats frames it cannot write at once. */
export type Delivery =
  /** Requests and replies in order (the control link). */
  | 'ordered'
  /** Real-time audio: bounded in time, fair between senders; late frames are dropped. */
  | 'audio'
  /** Real-time video: only the newest waiting frame per sender is kept. */
  | 'video-newest'
  /** Lossless and flow-controlled (reserved for file transfers): the sender waits, nothing is dropped. */
  | 'lossless';

export interface LinkSpec {
  readonly kind: LinkKind;
  /** Largest frame body accepted or sent on this link, both directions. */
  readonly maxFrameSize: number;
  /** Media kind of the frames this link carries, or null for a link of requests and replies. */
  readonly mediaKind: MediaKindValue | null;
  readonly delivery: Delivery;
  /** Type of the data frames the link carries besides control frames, or null (control link). */
  readonly frameType: number | null;
}

export const LINK_SPECS: Readonly<Record<LinkKind, LinkSpec>> = {
  control: {
    kind: 'control',
    maxFrameSize: MAX_FRAME_SIZE.control,
    mediaKind: null,
    delivery: 'ordered',
    frameType: null,
  },
  audio: {
    kind: 'audio',
    maxFrameSize: MAX_FRAME_SIZE.audio,
    mediaKind: MediaKind.AUDIO,
    delivery: 'audio',
    frameType: FrameType.MEDIA,
  },
  video: {
    kind: 'video',
    maxFrameSize: MAX_FRAME_SIZE.video,
    mediaKind: MediaKind.VIDEO,
    delivery: 'video-newest',
    frameType: FrameType.MEDIA,
  },
  // File chunks, both ways; requests about files go on the control link.
  files: {
    kind: 'files',
    maxFrameSize: MAX_FRAME_SIZE.files,
    mediaKind: null,
    delivery: 'lossless',
    frameType: FrameType.FILE,
  },
};

/** The kinds a session attaches after login (every kind but control). */
export const MEDIA_LINK_KINDS = ['audio', 'video'] as const satisfies readonly LinkKind[];
export type MediaLinkKind = (typeof MEDIA_LINK_KINDS)[number];

/** The kinds a client may attach to its session after login: the media links and the files link. */
export const ATTACH_LINK_KINDS = [
  ...MEDIA_LINK_KINDS,
  'files',
] as const satisfies readonly LinkKind[];
export type AttachLinkKind = (typeof ATTACH_LINK_KINDS)[number];

/** True when `kind` names a media link (relayed to the room). */
export function isMediaLinkKind(kind: string): kind is MediaLinkKind {
  return (MEDIA_LINK_KINDS as readonly string[]).includes(kind);
}

/** The media link that carries frames of media kind `kind`, if any. */
export function linkForMediaKind(kind: number): MediaLinkKind | null {
  for (const k of MEDIA_LINK_KINDS) if (LINK_SPECS[k].mediaKind === kind) return k;
  return null;
}
