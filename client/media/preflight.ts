/**
 * Checks media choices before anything connects, so a typo fails at once with its own code: a
 * video or WAV file that cannot be read, a camera or audio device that does not exist. Opens
 * nothing; the sources still report what goes wrong later with the same codes.
 */
import fs from 'node:fs';
import { MediaError, MediaErrorCode } from './errors';
import { listAudioDevices } from './native/portaudio';

export interface MediaChoicesToCheck {
  video: 'none' | 'testpattern' | string | number;
  audio: 'none' | 'tone' | string | number;
  speaker: 'none' | string | number;
}

function readableFile(file: string, what: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw new Error('not a file');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MediaError(
      MediaErrorCode.OPEN_FAILED,
      `cannot read the ${what} '${file}': ${reason}`,
    );
  }
}

function device(id: number, direction: 'input' | 'output'): void {
  if (id < 0) return; // the default device
  const found = listAudioDevices().find((d) => d.id === id);
  const channels = direction === 'input' ? found?.maxInputChannels : found?.maxOutputChannels;
  if (!found || !channels) {
    throw new MediaError(
      MediaErrorCode.NO_DEVICE,
      `no audio ${direction} device with id ${id} (see the device list of 'meeting client')`,
    );
  }
}

/** Throws a MediaError for the first choice that cannot work. */
export function checkMediaChoices(c: MediaChoicesToCheck): void {
  if (typeof c.video === 'string' && c.video !== 'none' && c.video !== 'testpattern')
    readableFile(c.video, 'video file');
  if (typeof c.video === 'number' && process.platform === 'linux') {
    // OpenCV's camera N is /dev/videoN on Linux.
    if (!fs.existsSync(`/dev/video${c.video}`))
      throw new MediaError(MediaErrorCode.NO_DEVICE, `no camera ${c.video} (/dev/video${c.video})`);
  }
  if (typeof c.audio === 'string' && c.audio !== 'none' && c.audio !== 'tone')
    readableFile(c.audio, 'audio file');
  if (typeof c.audio === 'number') device(c.audio, 'input');
  if (typeof c.speaker === 'number') device(c.speaker, 'output');
}
