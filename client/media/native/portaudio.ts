/**
 * Lazy loader of `naudiodon` (PortAudio). Loading is deferred to the first device use, so a process
 * that never touches a sound device never initialises PortAudio (and the environment that selects
 * PulseAudio devices, PULSE_SOURCE/PULSE_SINK, can still be set before it).
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
    stubSegfaultHandler();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('naudiodon') as PortAudio;
  }
  return loaded;
}

/** Input and output devices PortAudio lists (loads PortAudio). */
export function listAudioDevices(): Naudiodon.DeviceInfo[] {
  return portAudio().getDevices();
}
