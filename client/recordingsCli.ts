/**
 * The command line of recording (issue 13): the server's recording options, and
 * `meeting recordings list|download|play` (play decodes a recording with ffmpeg into JPEG frames
 * and a WAV file, the way `bot --record-video/--record-audio` write what a bot receives).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KNOWN_SERVERS_FILE, RECORDING_SEGMENT_MIN_MS } from '../common/constants';
import type { RecordingInfo } from '../common/protocol';
import { MeetingClient, parseServerAddress } from './MeetingClient';
import { downloadRecording } from './recordings';
import { KnownServers, defaultKnownServersFile } from './trust';

export interface RecordingServerFlags {
  recordSegmentMinutes?: number;
  recordings?: string;
  recordingsMaxGb?: number;
  recordingsRetentionDays?: number;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function segmentMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n * 60_000 < RECORDING_SEGMENT_MIN_MS)
    throw new InvalidArgumentError(
      `expected minutes, at least ${RECORDING_SEGMENT_MIN_MS / 60_000} (fractions allowed)`,
    );
  return n;
}

/** The server's recording options (added to `meeting server`). */
export const recordingServerOptions = {
  segmentMinutes: new Option(
    '--record-segment-minutes <n>',
    'length of a recording segment file (minutes; fractions allowed, e.g. 0.5)',
  ).argParser(segmentMinutes),
  dir: new Option('--recordings <dir>', 'folder of the recordings (default: <data>/recordings)'),
  maxGb: new Option('--recordings-max-gb <n>', 'disk space all recordings may use (GiB)').argParser(
    nonNegative,
  ),
  retentionDays: new Option(
    '--recordings-retention-days <n>',
    'delete recordings older than this (days; 0 keeps them)',
  ).argParser(nonNegative),
};

export function recordingOptionsFrom(flags: RecordingServerFlags): {
  dir?: string;
  segmentMs?: number;
  maxBytes?: number;
  retentionDays?: number;
} {
  return {
    ...(flags.recordings !== undefined ? { dir: flags.recordings } : {}),
    ...(flags.recordSegmentMinutes !== undefined
      ? { segmentMs: Math.round(flags.recordSegmentMinutes * 60_000) }
      : {}),
    ...(flags.recordingsMaxGb !== undefined
      ? { maxBytes: Math.round(flags.recordingsMaxGb * 1024 ** 3) }
      : {}),
    ...(flags.recordingsRetentionDays !== undefined
      ? { retentionDays: flags.recordingsRetentionDays }
      : {}),
  };
}

interface CommonFlags {
  server: string;
  user: string;
  password: string;
  json?: boolean;
  plain?: boolean;
  trustFingerprint?: string;
  knownServers?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer');
  return n;
}

async function connected<T>(flags: CommonFlags, run: (c: MeetingClient) => Promise<T>): Promise<T> {
  const client = new MeetingClient(parseServerAddress(flags.server), {
    media: false,
    plain: flags.plain === true,
    trust: new KnownServers(
      flags.knownServers ?? defaultKnownServersFile(os.homedir(), KNOWN_SERVERS_FILE),
      flags.trustFingerprint,
    ),
  });
  try {
    await client.connect();
    await client.login(flags.user, flags.password);
    return await run(client);
  } finally {
    await client.close();
  }
}

function print(flags: CommonFlags, value: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

function describe(r: RecordingInfo): string {
  const segments = r.segments
    .map(
      (s) => `    #${s.index} ${s.state} ${((s.durationMs ?? 0) / 1000).toFixed(1)} s ${s.bytes} B`,
    )
    .join('\n');
  return `${r.id} ${r.state} by ${r.startedBy.username} at ${new Date(r.startedAt).toISOString()} ${(r.durationMs / 1000).toFixed(1)} s ${r.bytes} B\n${segments}`;
}

/** The recording `id` of meeting `meetingId`, as its member sees it. */
async function findRecording(
  client: MeetingClient,
  meetingId: string,
  id: number,
): Promise<RecordingInfo> {
  const { recordings } = await client.request('listRecordings', { meetingId });
  const found = recordings.find((r) => r.id === id);
  if (!found) throw new InvalidArgumentError(`no recording ${id} in meeting ${meetingId}`);
  return found;
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('ffmpeg', ['-v', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 }, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
}

/** Decodes segment files into numbered JPEG frames in `videoDir` and one WAV file. */
export async function decodeRecording(
  files: string[],
  out: { videoDir?: string; wav?: string },
): Promise<void> {
  if (files.length === 0) return;
  const list = path.join(os.tmpdir(), `meeting-play-${process.pid}-${Date.now()}.txt`);
  fs.writeFileSync(
    list,
    files.map((f) => `file '${path.resolve(f).replace(/'/g, "'\\''")}'\n`).join(''),
  );
  try {
    const input = ['-f', 'concat', '-safe', '0', '-i', list];
    if (out.videoDir) {
      fs.mkdirSync(out.videoDir, { recursive: true });
      await ffmpeg([
        ...input,
        '-map',
        '0:v:0',
        '-q:v',
        '3',
        path.join(out.videoDir, 'rec-0-%06d.jpg'),
      ]);
    }
    if (out.wav)
      await ffmpeg([
        ...input,
        '-map',
        '0:a:0',
        '-ac',
        '1',
        '-ar',
        '48000',
        '-c:a',
        'pcm_s16le',
        out.wav,
      ]);
  } finally {
    fs.rmSync(list, { force: true });
  }
}

/** Adds `meeting recordings list|download|play`. */
export function addRecordingsCommand(program: Command): void {
  const recordings = program
    .command('recordings')
    .description('list, download and play the recordings of a meeting you attended');
  const common = (c: Command): Command =>
    c
      .requiredOption('--server <host:port>', 'server address')
      .requiredOption('--user <name>', 'username')
      .requiredOption('--password <password>', 'password')
      .requiredOption('--meeting <id>', 'meeting id')
      .option('--json', 'print JSON')
      .option('--plain', 'plain TCP instead of TLS (only with a server started with --plain)')
      .option('--trust-fingerprint <sha256>', 'accept this server certificate fingerprint')
      .option('--known-servers <file>', 'pinned server certificates (default ~/.config/meeting/…)');

  common(recordings.command('list').description("list the meeting's recordings")).action(
    async (flags: CommonFlags & { meeting: string }) => {
      await connected(flags, async (client) => {
        const { recordings: list } = await client.request('listRecordings', {
          meetingId: flags.meeting,
        });
        print(flags, list, list.map(describe).join('\n') || 'no recordings');
      });
    },
  );

  common(recordings.command('download').description("download a recording's segment files"))
    .requiredOption('--recording <id>', 'recording id', positiveInt)
    .option('--out <dir>', 'folder to write the files to', '.')
    .action(async (flags: CommonFlags & { meeting: string; recording: number; out: string }) => {
      await connected(flags, async (client) => {
        const rec = await findRecording(client, flags.meeting, flags.recording);
        const files = await downloadRecording(client, rec, flags.out);
        print(flags, { files }, files.join('\n'));
      });
    });

  common(
    recordings
      .command('play')
      .description('download a recording and write its decoded frames and audio'),
  )
    .requiredOption('--recording <id>', 'recording id', positiveInt)
    .option('--record-audio <out.wav>', "write the recording's audio to a WAV file")
    .option('--record-video <dir>', "write the recording's frames as JPEG files")
    .action(
      async (
        flags: CommonFlags & {
          meeting: string;
          recording: number;
          recordAudio?: string;
          recordVideo?: string;
        },
      ) => {
        await connected(flags, async (client) => {
          const rec = await findRecording(client, flags.meeting, flags.recording);
          const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-play-'));
          try {
            const files = await downloadRecording(client, rec, tmp);
            await decodeRecording(files, { videoDir: flags.recordVideo, wav: flags.recordAudio });
            print(
              flags,
              { recording: rec.id, segments: files.length, durationMs: rec.durationMs },
              `played recording ${rec.id}: ${files.length} segments, ${(rec.durationMs / 1000).toFixed(1)} s`,
            );
          } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
          }
        });
      },
    );
}
