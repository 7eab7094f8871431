/**
 * The meeting page's toolbar: microphone, camera, face effect, screen share (with why it is
 * blocked), gallery / speaker view, full screen, chat (with the unread count), device settings, the
 * host's "Allow several screens", and leave. Each button has an icon, a tooltip naming its
 * shortcut (views/shortcuts.ts) and stays the same size whatever its state. Host controls and the
 * raise-hand button go in the `hostSlot` row position (between share and the view buttons).
 */
import { QSize, type QPushButton } from '@nodegui/nodegui';
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import { FACE_EFFECTS, type FaceEffectName } from '../../../common/constants';
import type { DesktopApp } from '../DesktopApp';
import { effectLabel } from '../format';
import { useRemovable } from './hooks';
import { icon, type IconName } from './icons';
import { Select } from './Select';
import { keysOf } from './shortcuts';

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
  viewMode: 'gallery' | 'speaker';
  fullScreen: boolean;
  sidePane: boolean;
  unreadChat: number;
  settingsOpen: boolean;
  error: string;
  /** The host controls and the raise-hand button (views/HostControls.tsx). */
  hostSlot?: React.ReactNode;
}

function shareTip(sharing: boolean, blockedBy: string | null): string {
  if (sharing) return `Stop sharing your screen${keysOf('screen share')}`;
  if (blockedBy !== null)
    return `${blockedBy} is sharing their screen; only one screen at a time unless the host allows several`;
  return `Share your screen with the meeting${keysOf('screen share')}`;
}

/** A toolbar button with an icon and a tooltip, both kept in sync with its state. */
export function ToolButton({
  id,
  text,
  iconName,
  iconColour,
  tip,
  onClick,
  enabled = true,
  style = '',
  compact = false,
}: {
  id: string;
  text: string;
  iconName: IconName;
  iconColour?: string;
  tip: string;
  onClick: () => void;
  enabled?: boolean;
  style?: string;
  /** Icon only (the tooltip says what it does); `text` stays the button's accessible name. */
  compact?: boolean;
}): React.ReactElement {
  const button = useRef<QPushButton | null>(null);
  const ref = useRemovable(button);
  useEffect(() => {
    const b = button.current;
    if (!b) return;
    b.setIcon(icon(iconName, iconColour));
    b.setIconSize(new QSize(20, 20));
  }, [iconName, iconColour]);
  useEffect(() => {
    button.current?.setToolTip(tip);
    button.current?.setAccessibleName(text);
  }, [tip, text]);
  const on = useMemo(() => ({ clicked: onClick }), [onClick]);
  return (
    <Button
      id={id}
      ref={ref}
      text={compact ? '' : text}
      enabled={enabled}
      on={on}
      style={`margin-right: 6px; padding: 5px 8px; ${style}`}
    />
  );
}

function ToolbarImpl({
  app,
  audio,
  video,
  effect,
  sharing,
  shareBusy,
  blockedBy,
  viewMode,
  fullScreen,
  sidePane,
  unreadChat,
  settingsOpen,
  error,
  hostSlot,
}: ToolbarProps): React.ReactElement {
  const onMic = useCallback(() => void app.meetingPage.toggleMicrophone(), [app]);
  const onCam = useCallback(() => void app.meetingPage.toggleCamera(), [app]);
  const onShare = useCallback(() => void app.meetingPage.toggleScreenShare(), [app]);
  const onView = useCallback(
    () => app.setViewMode(app.state.viewMode === 'gallery' ? 'speaker' : 'gallery'),
    [app],
  );
  const onFull = useCallback(() => app.toggleFullScreen(), [app]);
  const onChat = useCallback(() => app.toggleSidePane(), [app]);
  const onSettings = useCallback(() => app.toggleSettings(), [app]);
  const onLeave = useCallback(() => void app.meetingPage.leave(), [app]);
  const onEffect = useCallback(
    (i: number) => {
      const picked = FACE_EFFECTS[i];
      if (picked) void app.meetingPage.setEffect(picked);
    },
    [app],
  );

  return (
    <View id="toolbar" style="flex-direction: column; padding: 6px;">
      <View id="toolbarRow" style="flex-direction: row; align-items: 'center';">
        <ToolButton
          id="micButton"
          text={audio ? 'Mute' : 'Unmute'}
          iconName={audio ? 'mic' : 'micOff'}
          tip={`${audio ? 'Mute' : 'Unmute'} your microphone${keysOf('microphone')}`}
          onClick={onMic}
        />
        <ToolButton
          id="cameraButton"
          text={video ? 'Stop video' : 'Start video'}
          iconName={video ? 'camera' : 'cameraOff'}
          tip={`${video ? 'Turn your camera off' : 'Turn your camera on'}${keysOf('camera')}`}
          onClick={onCam}
        />
        <Select
          id="effectSelect"
          labels={EFFECT_LABELS}
          index={Math.max(0, FACE_EFFECTS.indexOf(effect))}
          onChange={onEffect}
          style="margin-right: 6px;"
        />
        <ToolButton
          id="shareButton"
          text={sharing ? 'Stop share' : 'Share'}
          iconName="screen"
          iconColour={sharing ? '#c0392b' : undefined}
          tip={shareTip(sharing, blockedBy)}
          enabled={!shareBusy && (sharing || blockedBy === null)}
          onClick={onShare}
        />
        <View id="hostSlot" style="flex-direction: row; align-items: 'center';">
          {hostSlot}
        </View>
        <View style="flex: 1;" />
        <ToolButton
          id="viewButton"
          compact
          text={viewMode === 'gallery' ? 'Speaker view' : 'Gallery view'}
          iconName={viewMode === 'gallery' ? 'speaker' : 'gallery'}
          tip={`Switch to the ${viewMode === 'gallery' ? 'speaker' : 'gallery'} view${keysOf('view')}`}
          onClick={onView}
        />
        <ToolButton
          id="fullScreenButton"
          compact
          text={fullScreen ? 'Exit full screen' : 'Full screen'}
          iconName="fullScreen"
          tip={`${fullScreen ? 'Leave' : 'Enter'} full screen${keysOf('full screen')}`}
          onClick={onFull}
        />
        <ToolButton
          id="chatButton"
          text={!sidePane && unreadChat > 0 ? `Chat (${unreadChat})` : 'Chat'}
          iconName="chat"
          iconColour={!sidePane && unreadChat > 0 ? '#d35400' : undefined}
          tip={`${sidePane ? 'Hide' : 'Show'} people and chat${keysOf('chat')}${unreadChat > 0 ? ` — ${unreadChat} unread` : ''}`}
          onClick={onChat}
          style={!sidePane && unreadChat > 0 ? 'font-weight: bold; color: #d35400;' : ''}
        />
        <ToolButton
          id="settingsButton"
          compact
          text="Settings"
          iconName="settings"
          tip={`${settingsOpen ? 'Hide' : 'Show'} camera, microphone and speaker settings`}
          onClick={onSettings}
        />
        <ToolButton
          id="leaveButton"
          text="Leave"
          iconName="leave"
          iconColour="#ffffff"
          tip="Leave the meeting"
          onClick={onLeave}
          style="margin-right: 0px;"
        />
      </View>
      <Text id="toolbarError" wordWrap={true}>
        {error}
      </Text>
    </View>
  );
}
/** The toolbar of the meeting page. */
export const Toolbar = React.memo(ToolbarImpl);
