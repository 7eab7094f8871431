/**
 * The meeting page's toolbar: microphone, camera, face effect, screen share (with why it is
 * blocked), the host's "Allow several screens", and leave.
 */
import type { QCheckBox, QPushButton } from '@nodegui/nodegui';
import { Button, CheckBox, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import { FACE_EFFECTS, type FaceEffectName } from '../../../common/constants';
import type { DesktopApp } from '../DesktopApp';
import { effectLabel } from '../format';
import { useRemovable } from './hooks';
import { Select } from './Select';

const EFFECT_LABELS = FACE_EFFECTS.map(effectLabel);

export interface ToolbarProps {
  app: DesktopApp;
  audio: boolean;
  video: boolean;
  effect: FaceEffectName;
  /** This client shares its screen. */
  sharing: boolean;
  /** A share start or stop is in flight. */
  shareBusy: boolean;
  /** Who shares while several screens are not allowed (the share button is disabled), or null. */
  blockedBy: string | null;
  isHost: boolean;
  allowMultipleScreens: boolean;
  error: string;
}

function shareTip(sharing: boolean, blockedBy: string | null): string {
  if (sharing) return 'Stop sharing your screen';
  if (blockedBy !== null)
    return `${blockedBy} is sharing their screen; only one screen at a time unless the host allows several`;
  return 'Share your screen with the meeting';
}

function ToolbarImpl({
  app,
  audio,
  video,
  effect,
  sharing,
  shareBusy,
  blockedBy,
  isHost,
  allowMultipleScreens,
  error,
}: ToolbarProps): React.ReactElement {
  const micOn = useMemo(() => ({ clicked: () => void app.meetingPage.toggleMicrophone() }), [app]);
  const camOn = useMemo(() => ({ clicked: () => void app.meetingPage.toggleCamera() }), [app]);
  const shareOn = useMemo(
    () => ({ clicked: () => void app.meetingPage.toggleScreenShare() }),
    [app],
  );
  const leaveOn = useMemo(() => ({ clicked: () => void app.meetingPage.leave() }), [app]);
  const onEffect = useCallback(
    (i: number) => {
      const picked = FACE_EFFECTS[i];
      if (picked) void app.meetingPage.setEffect(picked);
    },
    [app],
  );

  // react-nodegui has no tooltip prop: set it on the button itself.
  const shareButton = useRef<QPushButton>(null);
  const tip = shareTip(sharing, blockedBy);
  useEffect(() => {
    shareButton.current?.setToolTip(tip);
  }, [tip]);

  // The host's toggle is checked from the room's options (also after a refused change).
  const allowBox = useRef<QCheckBox | null>(null);
  const allowRef = useRemovable(allowBox);
  useEffect(() => {
    allowBox.current?.setChecked(allowMultipleScreens);
  }, [allowMultipleScreens, isHost]);
  const allowOn = useMemo(
    () => ({
      clicked: (checked: boolean) =>
        void app.meetingPage
          .setAllowMultipleScreens(checked)
          .then(() => allowBox.current?.setChecked(app.roomOptions.allowMultipleScreens)),
    }),
    [app],
  );

  return (
    <View id="toolbar" style="flex-direction: column; padding: 6px;">
      <View id="toolbarRow" style="flex-direction: row; align-items: 'center';">
        <Button
          id="micButton"
          text={audio ? 'Mute microphone' : 'Unmute microphone'}
          on={micOn}
          style="margin-right: 6px;"
        />
        <Button
          id="cameraButton"
          text={video ? 'Stop camera' : 'Start camera'}
          on={camOn}
          style="margin-right: 12px;"
        />
        <Text id="effectLabel" style="margin-right: 4px;">
          Effect:
        </Text>
        <Select
          id="effectSelect"
          labels={EFFECT_LABELS}
          index={Math.max(0, FACE_EFFECTS.indexOf(effect))}
          onChange={onEffect}
          style="margin-right: 12px;"
        />
        <Button
          id="shareButton"
          ref={shareButton}
          text={sharing ? 'Stop sharing' : 'Share screen'}
          enabled={!shareBusy && (sharing || blockedBy === null)}
          on={shareOn}
          style="margin-right: 8px;"
        />
        {isHost ? (
          <CheckBox
            id="allowScreensToggle"
            ref={allowRef}
            text="Allow several screens"
            on={allowOn}
          />
        ) : null}
        <View style="flex: 1;" />
        <Button id="leaveButton" text="Leave meeting" on={leaveOn} />
      </View>
      <Text id="toolbarError" wordWrap={true}>
        {error}
      </Text>
    </View>
  );
}
/** The toolbar of the meeting page. */
export const Toolbar = React.memo(ToolbarImpl);
