/**
 * The `meeting` command line: `meeting server …` runs the server, `meeting bot …` runs a headless
 * participant built on the same client core as the desktop app.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  FACE_EFFECTS,
  KNOWN_SERVERS_FILE,
  REACTIONS,
  type FaceEffectName,
} from '../common/constants';
import { ErrorCode, MeetingError, type ErrorCodeValue } from '../common/errors';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { reaction, runHostActions, watchHostEvents, type BotHostOptions } from './botHost';
import { BotFiles } from './files/botFiles';
import { MeetingClient, parseServerAddress } from './MeetingClient';
import { KnownServers, defaultKnownServersFile } from './trust';

type ServeOptions = import('../server/serve').ServeOptions;
import { MediaError, type MediaErrorCodeValue } from './media/errors';
import {
  addRecordingsCommand,
  recordingOptionsFrom,
  recordingServerOptions,
  type RecordingServerFlags,
} from './recordingsCli';
import type { MediaSession, MediaSessionOptions } from './media/MediaSession';

/** `none`, `testpattern`, a camera index, or a video file. */
export function parseVideoSpec(value: string): NonNullable<MediaSessionOptions['video']> {
  if (value === 'none' || value === 'testpattern') return value;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** `none`, `tone`, `default`, a PortAudio device id, or a WAV file. */
export function parseAudioSpec(value: string): NonNullable<MediaSessionOptions['audio']> {
  if (value === 'none' || value === 'tone') return value;
  if (value === 'default') return -1;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a TCP port (0-65535)');
  return n;
}

function faceEffect(value: string): FaceEffectName {
  if (!(FACE_EFFECTS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${FACE_EFFECTS.join(', ')}`);
  }
  return value as FaceEffectName;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export interface BotOptions extends BotHostOptions {
  server: string;
  user: string;
  password: string;
  register?: boolean;
  create?: string;
  join?: string;
  roomPassword?: string;
  say: string[];
  to?: string;
  sayAfter: number;
  duration?: number;
  json?: boolean;
  video: string;
  audio: string;
  speaker?: string;
  recordAudio?: string;
  recordVideo?: string;
  stats?: boolean;
  fps?: number;
  effect?: FaceEffectName;
  screen?: boolean;
  /** Plain TCP instead of TLS (the server must run with --plain). */
  plain?: boolean;
  /** Accept this certificate fingerprint for the server even if another one is pinned. */
  trustFingerprint?: string;
  /** The known-servers file (pinned certificate fingerprints). */
  knownServers?: string;
  // ---- file sharing and chat log (client/files/botFiles.ts)
  sendFile: string[];
  laterJoiners?: boolean;
  downloadAll?: string;
  saveChat?: string;
  chatLogDir?: string;
  /** Start recording after joining (as host); stop it before leaving (issue 13). */
  startRecording?: boolean;
}

/** The trust policy of a CLI client: its known-servers file, told of a new or accepted fingerprint. */
function cliTrust(options: { knownServers?: string; trustFingerprint?: string }): KnownServers {
  return new KnownServers(
    options.knownServers ?? defaultKnownServersFile(os.homedir(), KNOWN_SERVERS_FILE),
    options.trustFingerprint,
  );
}

/**
 * The `code` and `message` printed for an error: a protocol (`ERR_*`) or media (`ERR_MEDIA_*`) error
 * keeps its own code; anything else is an unexpected fault, `ERR_INTERNAL`.
 */
export function errorFields(error: unknown): {
  code: ErrorCodeValue | MediaErrorCodeValue;
  message: string;
} {
  if (error instanceof MeetingError || error instanceof MediaError)
    return { code: error.code, message: error.message };
  return { code: ErrorCode.INTERNAL, message: String(error) };
}

/** Prints one line per event: JSON objects with --json, readable text otherwise. */
function makePrinter(json: boolean): (event: string, data: Record<string, unknown>) => void {
  return (event, data) => {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ event, time: new Date().toISOString(), ...data })}\n`,
      );
    else
      process.stdout.write(
        `[${new Date().toISOString().slice(11, 23)}] ${event} ${JSON.stringify(data)}\n`,
      );
  };
}

/** Runs a bot until its duration ends (or forever); resolves with the process exit code. */
export async function runBot(options: BotOptions): Promise<number> {
  const print = makePrinter(options.json === true);
  if (!options.create && !options.join)
    throw new InvalidArgumentError('give --create NAME or --join ID');
  const trust = cliTrust(options);
  trust.onFirstUse = (address, fingerprint) =>
    print('trusted-new-server', { server: `${address.host}:${address.port}`, fingerprint });
  const client = new MeetingClient(parseServerAddress(options.server), {
    plain: options.plain === true,
    trust,
  });
  client.on('reconnecting', (r) =>
    print('reconnecting', { attempt: r.attempt, inMs: r.delayMs, reason: r.reason }),
  );
  client.on('reconnected', (r) =>
    print('reconnected', { attempts: r.attempts, afterMs: r.downMs }),
  );
  client.on('sessionLost', (e) => print('session-lost', { code: e.code, message: e.message }));
  client.on('memberConnection', (m) => print('member-connection', { ...m }));
  const files = new BotFiles(client, { ...options, sendFile: options.sendFile ?? [] }, print);
  client.on('memberJoined', (m) =>
    print('member-joined', { memberId: m.memberId, username: m.username }),
  );
  client.on('memberLeft', (m) =>
    print('member-left', { memberId: m.memberId, username: m.username, reason: m.reason }),
  );
  client.on('hostChanged', (m) =>
    print('host-changed', { memberId: m.memberId, username: m.username }),
  );
  client.on('mediaState', (m) => print('media-state', { ...m }));
  client.on('chat', (m) =>
    print('chat', {
      from: m.from.username,
      to: m.to,
      mentions: m.mentions,
      text: m.text,
      id: m.id,
    }),
  );
  client.on('protocolError', (e) => print('error', { ...e }));
  client.on('recording', (r) => print('recording', { ...r }));
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  client.on('kicked', (k) => {
    print('kicked', { code: k.code, message: k.message });
    // After a heartbeat timeout the session waits for this client to resume it.
    if (k.code !== ErrorCode.HEARTBEAT_TIMEOUT) finish(3);
  });
  client.on('close', (reason) => {
    print('disconnected', { reason });
    finish(4);
  });
  watchHostEvents(client, print, (code) => finish(code));
  try {
    // Bad media choices fail before anything connects (a typo should not create a meeting).
    if (mediaWanted(options)) {
      const { checkMediaChoices } = await import('./media/preflight');
      checkMediaChoices({
        video: parseVideoSpec(options.video),
        audio: parseAudioSpec(options.audio),
        speaker: speakerSpec(options),
      });
    }
    await client.connect();
    const session = options.register
      ? await client.register(options.user, options.password)
      : await client.login(options.user, options.password);
    print('logged-in', {
      userId: session.userId,
      username: session.username,
      memberId: session.memberId,
    });
    const joined = options.create
      ? await client.createMeeting(options.create, options.roomPassword)
      : await client.joinMeeting(options.join as string, options.roomPassword);
    print('joined', {
      meetingId: joined.meeting.id,
      name: joined.meeting.name,
      you: joined.you,
      members: joined.members.map((m) => ({
        memberId: m.memberId,
        username: m.username,
        isHost: m.isHost,
      })),
      history: joined.history.map((m) => ({ from: m.from.username, to: m.to, text: m.text })),
    });
    await files.joined();
    await runHostActions(client, options, print);
    const media = await startMedia(client, options, print);
    if (options.startRecording)
      print('recording', { ...(await client.request('startRecording', {})) });
    if (options.say.length > 0) {
      await new Promise((r) => setTimeout(r, options.sayAfter * 1000));
      for (const text of options.say) {
        const stored = await client.say(text, options.to);
        print('sent', {
          id: stored.id,
          to: stored.to,
          mentions: stored.mentions,
          text: stored.text,
        });
      }
    }
    await files.sendAll();
    const stop = (): void => finish(0);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const timer = options.duration !== undefined ? setTimeout(stop, options.duration * 1000) : null;
    const code = await finished;
    if (timer) clearTimeout(timer);
    await files.settle();
    await media?.stop();
    if (options.stats && media) print('stats', { final: true, ...media.stats() });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (code === 0 && client.meeting && options.startRecording) {
      const stopped = await client.request('stopRecording', {}).catch(() => null);
      if (stopped)
        print('recording-stopped', { id: stopped.id, segments: stopped.segments.length });
    }
    if (code === 0 && client.meeting) {
      await client.leaveMeeting().catch(() => undefined);
      print('left', {});
    }
    return code;
  } catch (error) {
    print('error', errorFields(error));
    return 2;
  } finally {
    client.removeAllListeners('close');
    await client.close();
  }
}

/** Where the bot's received audio goes: a WAV file, a PortAudio device, or nowhere. */
function speakerSpec(options: BotOptions): string | number {
  return options.recordAudio ?? (options.speaker ? parseAudioSpec(options.speaker) : 'none');
}

/** Whether the bot sends or records anything (and so needs the media layer). */
function mediaWanted(options: BotOptions): boolean {
  return (
    options.video !== 'none' ||
    options.audio !== 'none' ||
    speakerSpec(options) !== 'none' ||
    !!options.recordVideo ||
    !!options.stats ||
    !!options.screen
  );
}

/** Starts the media pipeline when the bot sends or records anything. */
async function startMedia(
  client: MeetingClient,
  options: BotOptions,
  print: (event: string, data: Record<string, unknown>) => void,
): Promise<MediaSession | null> {
  const speaker = speakerSpec(options);
  if (!mediaWanted(options)) return null;
  const { MediaSession } = await import('./media/MediaSession');
  const media = new MediaSession(client, {
    video: parseVideoSpec(options.video),
    audio: parseAudioSpec(options.audio),
    speaker: speaker === 'none' ? 'none' : speaker,
    ...(options.fps ? { fps: options.fps } : {}),
  });
  if (options.effect) await media.setEffect(options.effect);
  media.on('error', (e) => print('error', errorFields(e)));
  media.on('activeSpeaker', (memberId) => print('active-speaker', { memberId }));
  if (options.recordVideo) {
    const dir = options.recordVideo;
    fs.mkdirSync(dir, { recursive: true });
    media.on('video', (f) => {
      const name = `${f.memberId}-${f.source}-${String(f.sequence).padStart(6, '0')}.jpg`;
      fs.writeFile(path.join(dir, name), f.jpeg, () => undefined);
    });
  }
  try {
    await media.start();
    if (options.screen) {
      await media.startScreenShare();
      print('screen-share', { active: true, display: process.env.DISPLAY ?? null });
    }
  } catch (error) {
    // The screen share failed after media started: stop it all, or the bot would print the
    // error and never exit (a failed start already stops itself).
    await media.stop();
    throw error;
  }
  client.on('screenShare', (e) => print('screen-share', { ...e }));
  client.on('effectChanged', (e) => print('effect', { ...e }));
  if (options.stats) {
    const timer = setInterval(() => print('stats', { ...media.stats() }), 1000);
    timer.unref();
    client.once('close', () => clearInterval(timer));
  }
  return media;
}

export function buildProgram(): Command {
  const program = new Command('meeting').description(
    'Online meeting system: server, bot and desktop client',
  );

  program
    .command('server')
    .description('run the meeting server')
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--port <port>', 'TCP port for all three links', port, DEFAULT_PORT)
    .option(
      '--db <url>',
      'database URL (mysql://user:pass@host:port/db or sqlite:<file>); default: SQLite in --data',
    )
    .option('--data <dir>', 'folder for the SQLite database and the access log', 'data')
    .option('--tls-cert <file>', 'TLS certificate (PEM); default: self-signed, kept in --data')
    .option('--tls-key <file>', 'TLS private key (PEM) of --tls-cert')
    .option('--plain', 'plain TCP instead of TLS (clients must ask for --plain too)')
    .option(
      '--resume-grace <seconds>',
      'how long a member whose link dropped may come back into its meeting',
      positiveNumber,
    )
    // operations and several nodes (server/serve.ts)
    .option('--metrics-port <port>', 'serve /metrics, /healthz, /readyz on this port', port)
    .option('--metrics-host <host>', 'address of the metrics port', '127.0.0.1')
    .option('--cluster <redis-url>', 'run as one node of several sharing this Redis (and --db)')
    .option('--node-id <id>', "this node's name in the cluster (default: the process id)")
    .option('--advertise <host:port>', 'address other nodes send clients to')
    .option('--cluster-prefix <prefix>', "prefix of this deployment's Redis keys", 'meeting:')
    .option('--lease-ms <ms>', 'meeting and node lease in Redis', positiveNumber)
    .addOption(recordingServerOptions.segmentMinutes)
    .addOption(recordingServerOptions.dir)
    .addOption(recordingServerOptions.maxGb)
    .addOption(recordingServerOptions.retentionDays)
    .action(async (opts: ServeOptions & RecordingServerFlags) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
        throw new InvalidArgumentError('give both --tls-cert and --tls-key');
      const { runServer } = await import('../server/serve');
      await runServer(opts, { recording: recordingOptionsFrom(opts) });
    });

  program
    .command('bot')
    .description('join a meeting as a headless participant and print its events')
    .requiredOption('--server <host:port>', 'server address')
    .requiredOption('--user <name>', 'username')
    .requiredOption('--password <password>', 'password')
    .option('--register', 'create the account first')
    .option('--create <name>', 'create a meeting with this name')
    .option('--join <id>', 'join the meeting with this id')
    .option('--room-password <password>', 'meeting password')
    .option('--say <text>', 'send a chat message (repeatable)', collect, [])
    .option('--to <user>', 'send the --say messages and --send-file files to this member only')
    .option(
      '--say-after <seconds>',
      'wait this long after joining before sending',
      positiveNumber,
      0,
    )
    .option(
      '--duration <seconds>',
      'leave after this many seconds (default: stay until interrupted)',
      positiveNumber,
    )
    .option('--json', 'print one JSON object per line for each event')
    .option('--video <source>', 'camera: none, testpattern, a video FILE or a DEVICE_INDEX', 'none')
    .option(
      '--audio <source>',
      'microphone: none, tone, a FILE.wav, default or a PortAudio DEVICE id',
      'none',
    )
    .option('--speaker <device>', 'play received audio on default or a PortAudio DEVICE id')
    .option('--fps <n>', 'camera frame rate', positiveNumber)
    .option('--record-audio <out.wav>', 'write the received (mixed) audio to a WAV file')
    .option('--record-video <dir>', 'write received video frames as JPEG files')
    .option('--stats', 'print media statistics every second')
    .option('--effect <name>', `face effect on the camera: ${FACE_EFFECTS.join(', ')}`, faceEffect)
    .option('--screen', 'share the screen of $DISPLAY')
    .option('--plain', 'plain TCP instead of TLS (only with a server started with --plain)')
    .option(
      '--trust-fingerprint <sha256>',
      "accept this certificate fingerprint for the server (after the server's certificate changed)",
    )
    .option('--known-servers <file>', 'pinned server certificates (default ~/.config/meeting/…)')
    .option(
      '--mute <user>',
      'host: mute this member (now or when it joins; repeatable)',
      collect,
      [],
    )
    .option('--remove <user>', 'host: remove this member (repeatable)', collect, [])
    .option('--bar', 'host: members removed with --remove cannot come back')
    .option('--lock', 'host: lock the meeting (nobody new may join)')
    .option('--waiting-room', 'host: turn the waiting room on')
    .option(
      '--admit <user|all>',
      'host: let this user (or all) in from the waiting room',
      collect,
      [],
    )
    .option('--hand', 'raise the hand after joining')
    .option('--react <name>', `send a reaction: ${REACTIONS.join(', ')}`, reaction)
    .option(
      '--send-file <path>',
      'offer a file to the meeting, or to --to USER (repeatable)',
      collect,
      [],
    )
    .option('--later-joiners', 'files sent to the meeting stay available to later joiners')
    .option('--download-all <dir>', 'download every file offered to this bot into DIR')
    .option('--save-chat <file>', 'write the chat this bot saw to FILE when it leaves')
    .option('--chat-log-dir <dir>', 'write the chat to a file in DIR when it leaves')
    .option(
      '--start-recording',
      'record the meeting (as its host); the recording stops when the bot leaves',
    )
    .action(async (opts: BotOptions) => {
      process.exitCode = await runBot(opts);
    });

  addRecordingsCommand(program);

  program
    .command('client')
    .description('open the desktop client')
    .option(
      '--server <host:port>',
      `server address to prefill (default: the last one used, else ${DEFAULT_HOST}:${DEFAULT_PORT})`,
    )
    .action(async (opts: { server?: string }) => {
      const { runDesktopClient } = await import('./ui/main');
      await runDesktopClient({ server: opts.server });
    });

  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
