/**
 * What the server and a recording's compositor process say to each other. Server → compositor: the
 * child's stdin carries length-prefixed frames (common/framing): the room's media frames exactly as
 * the relay accepted them (sender stamped), and CONTROL frames with the JSON commands below.
 * Compositor → server: one JSON object per line on the child's stdout.
 */

/** The first command: where and how to record. */
export interface StartCommand {
  type: 'start';
  /** Server-clock milliseconds of the recording's first instant. */
  t0: number;
  /** Folder of the segment files (absolute). */
  dir: string;
  segmentMs: number;
  width: number;
  height: number;
  fps: number;
  delayMs: number;
  ffmpeg: string;
}

/** Members and their names (tiles carry names; the order of arrival is the order of tiles). */
export interface MemberCommand {
  type: 'member';
  memberId: number;
  name: string;
  present: boolean;
}

/** Stop at `at` (server-clock ms): the file ends there. */
export interface StopCommand {
  type: 'stop';
  at: number;
}

export type CompositorCommand = StartCommand | MemberCommand | StopCommand;

/** What the compositor reports. */
export type CompositorEvent =
  | { event: 'segmentOpened'; seq: number; file: string; startedAt: number }
  | {
      event: 'segmentClosed';
      seq: number;
      file: string;
      ok: boolean;
      durationMs: number;
      bytes: number;
      /** ffmpeg's CPU time over the segment's length (the encoder's real-time factor). */
      encoderRtf: number | null;
      /** The compositor's own CPU time (decode, compose, mix) over the segment's length. */
      compositorRtf: number;
      error?: string;
    }
  | { event: 'stats'; late: number; badFrames: number }
  | { event: 'done' };

/** Segment file name of segment `seq`. */
export function segmentFileName(seq: number): string {
  return `segment-${String(seq).padStart(4, '0')}.mkv`;
}
