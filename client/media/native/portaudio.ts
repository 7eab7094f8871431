/**
 * Lazy loader of `naudiodon` (PortAudio). Loading is deferred to the first device use, so a process
 * that never touches a sound device never initialises PortAudio (and the environment that selects
 * PulseAudio devices, PULSE_SOURCE/PULSE_SINK, can still be set before it).
 *
 * Before PortAudio is first initialised, the project's `audio-quiet` addon (native/audio-quiet)
 * routes ALSA's and JACK's error printing away from stderr: on a machine without sound they print
 * about a hundred lines per device listing. MEETING_AUDIO_DEBUG=1 keeps them. A listing that finds
 * no device at all says so in one line on stderr, once per process.
 *
 * naudiodon requires `segfault-handler` at load only to install a process-wide SIGSEGV handler that
 * writes crash.log into the working directory. When that native module is not built (the project's
 * native build does not build it) a no-op stand-in is registered in its place, so capture and
 * playback still work.
 */
import Module from 'node:module';
import path from 'node:path';
import type * as Naudiodon from 'naudiodon';

/** The naudiodon module's API. */
export type PortAudio = typeof Naudiodon;

let loaded: PortAudio | undefined;
let quiet: { stats(): { count: number; last: string } } | null = null;
let toldNoDevice = false;

/** Loads the audio-quiet addon and silences ALSA and JACK (skipped when it is not built). */
function quietenSoundLibraries(): void {
  if (process.env.MEETING_AUDIO_DEBUG === '1') return;
  const addon = path.join(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'native',
    'audio-quiet',
    'build',
    'Release',
    'audio_quiet.node',
  );
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const q = require(addon) as { silence(): unknown; stats(): { count: number; last: string } };
    q.silence();
    quiet = q;
  } catch {
    // not built: the libraries print what they print
  }
}

/** Messages of ALSA and JACK kept off stderr so far, and the last one (null without the addon). */
export function soundLibraryMessages(): { count: number; last: string } | null {
  return quiet?.stats() ?? null;
}

function stubSegfaultHandler(): void {
  let resolved: string;
  try {
    resolved = require.resolve('segfault-handler', {
      paths: [path.dirname(require.resolve('naudiodon'))],
    });
  } catch {
    return; // not installed at all: naudiodon's own require will report it
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(resolved);
    return;
  } catch {
    // its native part is missing: fall through to the stand-in
  }
  const stub = new Module(resolved);
  stub.filename = resolved;
  stub.loaded = true;
  stub.exports = { registerHandler(): void {} };
  require.cache[resolved] = stub;
}

/** The naudiodon module, loaded on first call. */
export function portAudio(): PortAudio {
  if (!loaded) {
    quietenSoundLibraries();
    stubSegfaultHandler();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('naudiodon') as PortAudio;
  }
  return loaded;
}

/** Input and output devices PortAudio lists (loads PortAudio). */
export function listAudioDevices(): Naudiodon.DeviceInfo[] {
  const devices = portAudio().getDevices();
  if (devices.length === 0 && !toldNoDevice) {
    toldNoDevice = true;
    process.stderr.write(
      'meeting: no audio device found (PortAudio lists none): microphone and speaker are off\n',
    );
  }
  return devices;
}
