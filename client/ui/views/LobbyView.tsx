/**
 * The lobby: create a meeting, join one by id (the password field appears when the meeting asks
 * for it), the user's recent meetings, and the camera / microphone / speaker pickers.
 */
import {
  EchoMode,
  FileMode,
  FocusReason,
  QFileDialog,
  type QLineEdit,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { VIDEO_FILE_ENTRY, type DeviceOption } from '../devices';
import type { MediaChoices } from '../mediaTypes';
import { useAppEvents, useRemovable } from './hooks';
import { ListBox, type ListRow } from './ListBox';
import { Select } from './Select';

const HEADING = 'font-size: 15px; font-weight: bold; margin-top: 10px; margin-bottom: 4px;';

function indexOf<T>(options: readonly DeviceOption<T>[], value: T): number {
  const i = options.findIndex((o) => o.value === value);
  return i < 0 ? 0 : i;
}

function DevicePickers({ app }: { app: DesktopApp }): React.ReactElement {
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
            if (file) app.lobbyPage.chooseVideoFile(file);
          });
          dialog.current = d;
          // The picker stays on the current choice until a file is chosen (Select re-syncs).
          d.show();
          return;
        }
        app.lobbyPage.setDevices({ [kind]: option.value } as Partial<MediaChoices>);
      },
    [app],
  );
  const onCamera = useMemo(() => pick('video', cameras), [pick, cameras]);
  const onMic = useMemo(() => pick('audio', microphones), [pick, microphones]);
  const onSpeaker = useMemo(() => pick('speaker', speakers), [pick, speakers]);
  // The file entry is never shown as selected: the current choice stays selected while choosing.
  const cameraIndex = indexOf(cameras, devices.video);

  return (
    <View id="devicePane" style="flex-direction: column;">
      <Text id="devicesHeading" style={HEADING}>
        Devices
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

export function LobbyView({ app }: { app: DesktopApp }): React.ReactElement {
  useAppEvents(app, 'state');
  const { busy, lobbyError, joinNeedsPassword, joinId, recent } = app.state;
  const createName = useRef<QLineEdit>(null);
  const createPassword = useRef<QLineEdit>(null);
  const joinIdRef = useRef<QLineEdit>(null);
  const joinPassword = useRef<QLineEdit | null>(null);
  const page = useRemovable<QWidget>();
  const joinPasswordRef = useRemovable(joinPassword);

  useEffect(() => {
    createName.current?.setFocus(FocusReason.OtherFocusReason);
  }, []);
  useEffect(() => {
    if (joinId) joinIdRef.current?.setText(joinId);
    if (joinNeedsPassword) joinPassword.current?.setFocus(FocusReason.OtherFocusReason);
  }, [joinId, joinNeedsPassword]);

  const onCreate = useCallback(() => {
    void app.lobbyPage.createMeeting(
      createName.current?.text() ?? '',
      createPassword.current?.text() ?? '',
    );
  }, [app]);
  const onJoin = useCallback(() => {
    void app.lobbyPage.joinMeeting(
      joinIdRef.current?.text() ?? '',
      joinPassword.current?.text() ?? '',
    );
  }, [app]);
  const onRecentRow = useCallback(
    (row: number) => {
      const m = app.state.recent[row];
      if (m) joinIdRef.current?.setText(m.id);
    },
    [app],
  );
  const onRecentActivated = useCallback(() => onJoin(), [onJoin]);
  const recentRows = useMemo<ListRow[]>(
    () =>
      recent.map((m) => ({
        key: m.id,
        text: `${m.name}  ·  ${m.id}${m.hasPassword ? '  · password' : ''}`,
      })),
    [recent],
  );
  const createOn = useMemo(() => ({ clicked: onCreate }), [onCreate]);
  const createSubmit = useMemo(() => ({ returnPressed: onCreate }), [onCreate]);
  const joinOn = useMemo(() => ({ clicked: onJoin }), [onJoin]);
  const joinSubmit = useMemo(() => ({ returnPressed: onJoin }), [onJoin]);
  const recentOn = useMemo(
    () => ({ currentRowChanged: onRecentRow, itemDoubleClicked: onRecentActivated }),
    [onRecentRow, onRecentActivated],
  );
  const refreshOn = useMemo(() => ({ clicked: () => void app.lobbyPage.refreshRecent() }), [app]);
  const logoutOn = useMemo(() => ({ clicked: () => void app.loginPage.logout() }), [app]);

  return (
    <View id="lobbyPage" ref={page} style="flex: 1; flex-direction: column; padding: 12px;">
      <View id="lobbyHeader" style="flex-direction: row; align-items: 'center';">
        <Text id="lobbyUser" style="flex: 1; font-size: 16px;">
          {`Logged in as ${app.username}`}
        </Text>
        <Button id="logoutButton" text="Log out" on={logoutOn} />
      </View>
      <View id="lobbyBody" style="flex: 1; flex-direction: row;">
        <View id="lobbyLeft" style="flex: 1; flex-direction: column; margin-right: 16px;">
          <Text id="createHeading" style={HEADING}>
            New meeting
          </Text>
          <LineEdit
            id="createName"
            ref={createName}
            placeholderText="Meeting name"
            on={createSubmit}
            style="margin-bottom: 4px;"
          />
          <LineEdit
            id="createPassword"
            ref={createPassword}
            placeholderText="Password (optional)"
            echoMode={EchoMode.Password}
            on={createSubmit}
            style="margin-bottom: 4px;"
          />
          <Button id="createButton" text="Create meeting" enabled={!busy} on={createOn} />
          <Text id="joinHeading" style={HEADING}>
            Join a meeting
          </Text>
          <LineEdit
            id="joinId"
            ref={joinIdRef}
            placeholderText="Meeting id"
            on={joinSubmit}
            style="margin-bottom: 4px;"
          />
          {joinNeedsPassword ? (
            <LineEdit
              id="joinPassword"
              ref={joinPasswordRef}
              placeholderText="Meeting password"
              echoMode={EchoMode.Password}
              on={joinSubmit}
              style="margin-bottom: 4px;"
            />
          ) : null}
          <Button id="joinButton" text="Join" enabled={!busy} on={joinOn} />
          <Text id="lobbyError" wordWrap={true} style="margin-top: 8px; min-height: 40px;">
            {lobbyError}
          </Text>
          <View style="flex: 1;" />
        </View>
        <View id="lobbyRight" style="flex: 1; flex-direction: column;">
          <View style="flex-direction: row; align-items: 'center';">
            <Text id="recentHeading" style={`${HEADING} flex: 1;`}>
              My recent meetings
            </Text>
            <Button id="recentRefresh" text="Refresh" on={refreshOn} />
          </View>
          <ListBox
            id="recentList"
            rows={recentRows}
            on={recentOn}
            style="flex: 1; min-height: 120px;"
          />
          <DevicePickers app={app} />
        </View>
      </View>
    </View>
  );
}
