/**
 * Camera / microphone / speaker pickers (with "Test pattern", "Video file…" and "None"), shared by
 * the lobby, the join screen and the in-meeting settings; `pick` says what a choice does there
 * (remember it, move the preview, switch the running meeting's devices).
 */
import { FileMode, QFileDialog } from '@nodegui/nodegui';
import { Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { VIDEO_FILE_ENTRY, type DeviceOption } from '../devices';
import type { MediaChoices } from '../mediaTypes';
import { Select } from './Select';

const HEADING = 'font-size: 15px; font-weight: bold; margin-top: 10px; margin-bottom: 4px;';

function indexOf<T>(options: readonly DeviceOption<T>[], value: T): number {
  const i = options.findIndex((o) => o.value === value);
  return i < 0 ? 0 : i;
}

export interface DevicePickersProps {
  app: DesktopApp;
  heading?: string;
  /** Applies a choice (default: remember it for the next meeting). */
  pick?: (patch: Partial<MediaChoices>) => void;
}

export function DevicePickers({
  app,
  heading = 'Devices',
  pick: apply,
}: DevicePickersProps): React.ReactElement {
  const { deviceLists, devices } = app.state;
  const dialog = useRef<QFileDialog | null>(null);
  const cameras = deviceLists?.cameras ?? [];
  const microphones = deviceLists?.microphones ?? [];
  const speakers = deviceLists?.speakers ?? [];
  const cameraLabels = useMemo(() => cameras.map((c) => c.label), [cameras]);
  const micLabels = useMemo(() => microphones.map((c) => c.label), [microphones]);
  const speakerLabels = useMemo(() => speakers.map((c) => c.label), [speakers]);

  const pick = useCallback(
    <K extends keyof MediaChoices>(kind: K, options: readonly DeviceOption<MediaChoices[K]>[]) =>
      (i: number) => {
        const option = options[i];
        if (!option) return;
        if (kind === 'video' && option.value === VIDEO_FILE_ENTRY) {
          // Non-modal: a modal exec() would block Node's loop (and the heartbeat) while it is open.
          const d = new QFileDialog();
          d.setObjectName('videoFileDialog');
          d.setWindowTitle('Choose a video file');
          d.setFileMode(FileMode.ExistingFile);
          d.setNameFilter('Videos (*.avi *.mp4 *.mkv *.mov *.webm *.mpg);;All files (*)');
          d.addEventListener('fileSelected', (file: string) => {
            if (!file) return;
            app.lobbyPage.chooseVideoFile(file);
            apply?.({ video: file });
          });
          dialog.current = d;
          // The picker stays on the current choice until a file is chosen (Select re-syncs).
          d.show();
          return;
        }
        const patch = { [kind]: option.value } as Partial<MediaChoices>;
        if (apply) apply(patch);
        else app.lobbyPage.setDevices(patch);
      },
    [app, apply],
  );
  const onCamera = useMemo(() => pick('video', cameras), [pick, cameras]);
  const onMic = useMemo(() => pick('audio', microphones), [pick, microphones]);
  const onSpeaker = useMemo(() => pick('speaker', speakers), [pick, speakers]);
  // The file entry is never shown as selected: the current choice stays selected while choosing.
  const cameraIndex = indexOf(cameras, devices.video);

  return (
    <View id="devicePane" style="flex-direction: column;">
      <Text id="devicesHeading" style={HEADING}>
        {heading}
      </Text>
      <Text id="cameraLabel">Camera</Text>
      <Select id="cameraSelect" labels={cameraLabels} index={cameraIndex} onChange={onCamera} />
      <Text id="micLabel">Microphone</Text>
      <Select
        id="micSelect"
        labels={micLabels}
        index={indexOf(microphones, devices.audio)}
        onChange={onMic}
      />
      <Text id="speakerLabel">Speaker</Text>
      <Select
        id="speakerSelect"
        labels={speakerLabels}
        index={indexOf(speakers, devices.speaker)}
        onChange={onSpeaker}
      />
      <Text id="deviceNote" wordWrap={true} style="color: #777;">
        {deviceLists?.audioError ?? ''}
      </Text>
    </View>
  );
}
