/**
 * The recording row under the meeting header (issue 13): a red "Recording" indicator while the meeting is
 * recorded (with who started it), the host's Record / Stop recording button, and "Recordings…",
 * which opens the player window with the meeting's recordings.
 */
import type { QPushButton, QWidget } from '@nodegui/nodegui';
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useMemo } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { openPlayerWindow } from '../recording/PlayerWindow';
import { useAppEvents, useRemovable } from './hooks';

export function RecordingBar({ app }: { app: DesktopApp }): React.ReactElement {
  useAppEvents(app, 'meeting');
  const { status, busy, error } = app.recordings;
  const indicator = useRemovable<QWidget>();
  const hostButton = useRemovable<QPushButton>();
  const errorText = useRemovable<QWidget>();
  const toggleOn = useMemo(() => ({ clicked: () => void app.recordings.toggle() }), [app]);
  const listOn = useMemo(() => ({ clicked: () => openPlayerWindow(app) }), [app]);
  return (
    <View
      id="recordingBar"
      style="flex-direction: row; align-items: 'center'; padding: 0px 6px 6px 6px; min-width: 470px;"
    >
      {status.active ? (
        <Text
          id="recordingIndicator"
          ref={indicator}
          style="color: white; background-color: #c0392b; font-weight: bold; padding: 3px 10px; margin-right: 8px;"
        >
          {`● Recording (${status.by?.username ?? '?'})`}
        </Text>
      ) : null}
      {error ? (
        <Text id="recordingError" ref={errorText} style="color: #c0392b; margin-right: 8px;">
          {error}
        </Text>
      ) : null}
      {app.isHost ? (
        <Button
          id="recordButton"
          ref={hostButton}
          text={status.active ? 'Stop recording' : 'Record'}
          enabled={!busy}
          on={toggleOn}
          style="margin-right: 6px; min-width: 130px;"
        />
      ) : null}
      <Button id="recordingsButton" text="Recordings…" on={listOn} />
    </View>
  );
}
