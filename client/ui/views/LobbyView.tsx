/**
 * The lobby: create a meeting, join one by id (the password field appears when the meeting asks
 * for it), the user's recent meetings, and the camera / microphone / speaker pickers.
 */
import { EchoMode, FocusReason, type QLineEdit, type QWidget } from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { DevicePickers } from './DevicePickers';
import { useAppEvents, useRemovable } from './hooks';
import { ListBox, type ListRow } from './ListBox';

const HEADING = 'font-size: 15px; font-weight: bold; margin-top: 10px; margin-bottom: 4px;';

export function LobbyView({ app }: { app: DesktopApp }): React.ReactElement {
  useAppEvents(app, 'state');
  const { busy, lobbyError, lobbyInfo, joinNeedsPassword, joinId, recent } = app.state;
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
          <Text id="lobbyInfo" wordWrap={true} style="margin-top: 8px;">
            {lobbyInfo}
          </Text>
          <Text id="chatSaved" wordWrap={true}>
            {app.state.chatSaved}
          </Text>
          <Text id="lobbyError" wordWrap={true} style="min-height: 40px;">
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
