/**
 * The device pickers' choices: cameras (probed cheaply through /dev/video*), PortAudio inputs and
 * outputs, plus the synthetic sources. Listing PortAudio loads it, so this runs when the lobby
 * opens, not at launch.
 */
import fs from 'node:fs';
import type { AudioChoice, MediaChoices, SpeakerChoice, VideoChoice } from './mediaTypes';

export interface DeviceOption<T> {
  label: string;
  value: T;
}

export interface DeviceLists {
  cameras: DeviceOption<VideoChoice>[];
  microphones: DeviceOption<AudioChoice>[];
  speakers: DeviceOption<SpeakerChoice>[];
  /** Why audio devices could not be listed, or ''. */
  audioError: string;
}

/** Label of the camera entry that opens a file dialog. */
export const VIDEO_FILE_ENTRY = 'Video file…';

interface AudioDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
}

function listPortAudio(): AudioDevice[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { listAudioDevices } = require('../media/native/portaudio') as {
    listAudioDevices(): AudioDevice[];
  };
  return listAudioDevices();
}

/** Lists what the pickers offer. `videoFile` is the file chosen earlier, if any. */
export function listDevices(videoFile: string | null): DeviceLists {
  const cameras: DeviceOption<VideoChoice>[] = [{ label: 'Test pattern', value: 'testpattern' }];
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(`/dev/video${i}`))
      cameras.push({ label: `Camera ${i} (/dev/video${i})`, value: i });
  }
  if (videoFile) cameras.push({ label: `File: ${videoFile}`, value: videoFile });
  cameras.push({ label: VIDEO_FILE_ENTRY, value: VIDEO_FILE_ENTRY });
  cameras.push({ label: 'None', value: 'none' });

  const microphones: DeviceOption<AudioChoice>[] = [];
  const speakers: DeviceOption<SpeakerChoice>[] = [];
  let audioError = '';
  let devices: AudioDevice[] = [];
  try {
    devices = listPortAudio();
  } catch (error) {
    audioError = `audio devices unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (devices.some((d) => d.maxInputChannels > 0))
    microphones.push({ label: 'Default input', value: -1 });
  for (const d of devices)
    if (d.maxInputChannels > 0) microphones.push({ label: d.name, value: d.id });
  microphones.push({ label: 'Test tone', value: 'tone' }, { label: 'None', value: 'none' });
  if (devices.some((d) => d.maxOutputChannels > 0))
    speakers.push({ label: 'Default output', value: -1 });
  for (const d of devices)
    if (d.maxOutputChannels > 0) speakers.push({ label: d.name, value: d.id });
  speakers.push({ label: 'None', value: 'none' });
  return { cameras, microphones, speakers, audioError };
}

function parseChoice(value: string | undefined): string | number | undefined {
  if (value === undefined || value === '') return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/**
 * The first choice of each picker: from MEETING_UI_VIDEO / MEETING_UI_AUDIO / MEETING_UI_SPEAKER
 * when set (tests and kiosks), else a camera if one exists (test pattern otherwise) and PortAudio's
 * default devices when it lists any.
 */
export function initialChoices(env: NodeJS.ProcessEnv, lists?: DeviceLists): MediaChoices {
  const video = parseChoice(env.MEETING_UI_VIDEO);
  const audio = parseChoice(env.MEETING_UI_AUDIO);
  const speaker = parseChoice(env.MEETING_UI_SPEAKER);
  const firstCamera = lists?.cameras.find((c) => typeof c.value === 'number');
  return {
    video: video ?? firstCamera?.value ?? 'testpattern',
    audio:
      (audio as AudioChoice | undefined) ?? (lists?.microphones[0]?.value === -1 ? -1 : 'none'),
    speaker:
      (speaker as SpeakerChoice | undefined) ?? (lists?.speakers[0]?.value === -1 ? -1 : 'none'),
  };
}
