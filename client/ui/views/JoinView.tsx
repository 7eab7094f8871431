/**
 * The join screen, shown between choosing a meeting and entering it: a mirrored preview of the
 * chosen camera with the chosen face effect, a microphone level meter, a speaker test tone, "Join
 * with my microphone off" / "Join with my camera off", the device pickers, and Join / Back. When
 * the meeting asks for a password the field appears here.
 */
import {
  EchoMode,
  FocusReason,
  type QCheckBox,
  type QLabel,
  type QLineEdit,
  type QProgressBar,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, CheckBox, LineEdit, ProgressBar, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import { DESKTOP_LEVEL_METER, FACE_EFFECTS } from '../../../common/constants';
import type { DesktopApp } from '../DesktopApp';
import { effectLabel } from '../format';
import type { MediaChoices } from '../mediaTypes';
import { PREVIEW_MEMBER, type VideoRenderer } from '../VideoRenderer';
import { DevicePickers } from './DevicePickers';
import { useAppEvents, useInterval, useRemovable } from './hooks';
import { Select } from './Select';

const EFFECT_LABELS = FACE_EFFECTS.map(effectLabel);
const PREVIEW = { width: 480, height: 360 };

/** The meter's value (0-100) for a level in dBFS. */
export function meterValue(dbfs: number): number {
  const floor = DESKTOP_LEVEL_METER.floorDb;
  if (!Number.isFinite(dbfs) || dbfs <= floor) return 0;
  return Math.min(100, Math.round(((dbfs - floor) / -floor) * 100));
}

export function JoinView({
  app,
  renderer,
}: {
  app: DesktopApp;
  renderer: VideoRenderer;
}): React.ReactElement {
  useAppEvents(app, 'state', 'preview');
  const { pending, busy, startMuted, startCameraOff, speakerTest, joinNeedsPassword, devices } =
    app.state;
  const page = useRemovable<QWidget>();
  const preview = app.joinPage.preview;

  // The preview's frames go to the preview label, mirrored, outside React.
  useEffect(() => {
    renderer.attachPreview(preview);
    renderer.setPlaceholder(
      PREVIEW_MEMBER,
      !preview ? 'No preview: media unavailable' : devices.video === 'none' ? 'No camera' : null,
    );
  }, [renderer, preview, devices.video]);
  useEffect(
    () => () => {
      renderer.attachPreview(null);
      renderer.forget(PREVIEW_MEMBER);
    },
    [renderer],
  );
  const label = useRef<QLabel | null>(null);
  const labelRef = useCallback(
    (l: QLabel | null) => {
      if (l) {
        label.current = l;
        renderer.setLabel(PREVIEW_MEMBER, l);
      } else if (label.current) {
        renderer.unsetLabel(PREVIEW_MEMBER, label.current);
        label.current = null;
      }
    },
    [renderer],
  );

  // The level meter follows the microphone without re-rendering.
  const meter = useRef<QProgressBar | null>(null);
  useEffect(() => meter.current?.setTextVisible(false), []);
  useInterval(() => {
    meter.current?.setValue(meterValue(app.joinPage.takeLevel()));
  }, DESKTOP_LEVEL_METER.intervalMs);

  const mutedBox = useRef<QCheckBox | null>(null);
  const cameraOffBox = useRef<QCheckBox | null>(null);
  useEffect(() => {
    mutedBox.current?.setChecked(startMuted);
    cameraOffBox.current?.setChecked(startCameraOff);
  }, [startMuted, startCameraOff]);
  const mutedOn = useMemo(
    () => ({ clicked: (checked: boolean) => app.joinPage.setStartMuted(checked) }),
    [app],
  );
  const cameraOffOn = useMemo(
    () => ({ clicked: (checked: boolean) => app.joinPage.setStartCameraOff(checked) }),
    [app],
  );

  const password = useRef<QLineEdit | null>(null);
  const passwordRef = useRemovable(password);
  useEffect(() => {
    if (joinNeedsPassword) password.current?.setFocus(FocusReason.OtherFocusReason);
  }, [joinNeedsPassword]);
  const joinButton = useRef<QWidget | null>(null);
  useEffect(() => {
    if (!joinNeedsPassword) joinButton.current?.setFocus(FocusReason.OtherFocusReason);
  }, []);

  const onJoin = useCallback(
    () => void app.joinPage.join(joinNeedsPassword ? (password.current?.text() ?? '') : undefined),
    [app, joinNeedsPassword],
  );
  const joinOn = useMemo(() => ({ clicked: onJoin }), [onJoin]);
  const passwordOn = useMemo(() => ({ returnPressed: onJoin }), [onJoin]);
  const backOn = useMemo(() => ({ clicked: () => void app.joinPage.back() }), [app]);
  const testOn = useMemo(() => ({ clicked: () => void app.joinPage.testSpeaker() }), [app]);
  const onEffect = useCallback(
    (i: number) => {
      const picked = FACE_EFFECTS[i];
      if (picked) app.joinPage.setEffect(picked);
    },
    [app],
  );
  const pick = useCallback(
    (patch: Partial<MediaChoices>) => void app.joinPage.setDevices(patch),
    [app],
  );

  const what =
    pending?.kind === 'create'
      ? `New meeting "${pending.name}"`
      : pending
        ? `Meeting ${pending.meetingId}`
        : '';
  return (
    <View id="joinPage" ref={page} style="flex: 1; flex-direction: column; padding: 12px;">
      <Text id="joinTitle" style="font-size: 18px; font-weight: bold;">
        {`Get ready to join · ${what}`}
      </Text>
      <Text id="joinInfo" wordWrap={true} style="margin-bottom: 8px;">
        Check how you look and sound; choose how to enter.
      </Text>
      <View id="joinBody" style="flex: 1; flex-direction: row;">
        <View id="joinLeft" style="flex-direction: column; margin-right: 16px;">
          <Text
            id="previewVideo"
            ref={labelRef}
            style={`width: ${PREVIEW.width}px; height: ${PREVIEW.height}px; color: #9a9a9a; background-color: #141414;`}
          />
          <View style="flex-direction: row; align-items: 'center'; margin-top: 8px;">
            <Text style="margin-right: 6px;">Effect:</Text>
            <Select
              id="joinEffectSelect"
              labels={EFFECT_LABELS}
              index={Math.max(0, FACE_EFFECTS.indexOf(app.joinPage.effect))}
              onChange={onEffect}
            />
          </View>
          <View style="flex-direction: row; align-items: 'center'; margin-top: 8px;">
            <Text style="margin-right: 6px;">Microphone level:</Text>
            <ProgressBar
              id="micLevel"
              ref={meter}
              minimum={0}
              maximum={100}
              value={0}
              style="flex: 1; height: 14px;"
            />
          </View>
        </View>
        <View id="joinRight" style="flex: 1; flex-direction: column;">
          <DevicePickers app={app} heading="Devices" pick={pick} />
          <Button
            id="testSpeakerButton"
            text={speakerTest ? 'Playing test tone…' : 'Test speaker'}
            enabled={!speakerTest && devices.speaker !== 'none'}
            on={testOn}
            style="margin-top: 6px;"
          />
          <View style="flex-direction: column; align-items: 'flex-start';">
            <CheckBox
              id="startMutedBox"
              ref={mutedBox}
              text="Join with my microphone off"
              on={mutedOn}
              style="margin-top: 12px;"
            />
            <CheckBox
              id="startCameraOffBox"
              ref={cameraOffBox}
              text="Join with my camera off"
              on={cameraOffOn}
            />
          </View>
          {joinNeedsPassword ? (
            <LineEdit
              id="joinPassword"
              ref={passwordRef}
              placeholderText="Meeting password"
              echoMode={EchoMode.Password}
              on={passwordOn}
              style="margin-top: 8px;"
            />
          ) : null}
          <Text id="lobbyInfo" wordWrap={true} style="margin-top: 8px;">
            {app.state.lobbyInfo}
          </Text>
          <Text id="lobbyError" wordWrap={true}>
            {app.state.lobbyError}
          </Text>
          <Text id="mediaNote" wordWrap={true} style="color: #777;">
            {app.state.mediaError}
          </Text>
          <View style="flex: 1;" />
          <View style="flex-direction: row; justify-content: 'flex-end';">
            <Button id="joinBackButton" text="Back" on={backOn} style="margin-right: 8px;" />
            <Button
              id="joinNowButton"
              ref={joinButton}
              text={busy ? 'Joining…' : 'Join now'}
              enabled={!busy}
              on={joinOn}
            />
          </View>
        </View>
      </View>
    </View>
  );
}
