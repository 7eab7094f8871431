/**
 * The meeting page: video area (grid, or shared screens over a camera strip), member list (host,
 * face effect and screen sharing marked), chat (history + live, Everyone or one member, `@name` Tab
 * completion, private and mention messages marked) and the toolbar (microphone, camera, face
 * effect, screen share, the host's "Allow several screens", leave).
 */
import {
  FocusReason,
  Key,
  QKeyEvent,
  WidgetEventTypes,
  type QCheckBox,
  type QLineEdit,
  type QPushButton,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, CheckBox, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { FACE_EFFECTS, type FaceEffectName } from '../../../common/constants';
import type { ChatMessage, MemberInfo } from '../../../common/protocol';
import type { DesktopApp } from '../DesktopApp';
import {
  chatKind,
  completeMention,
  concernsMe,
  effectLabel,
  formatChatLine,
  formatMember,
  mentionCandidates,
  mentionPrefix,
} from '../format';
import type { VideoRenderer } from '../VideoRenderer';
import { useAppEvents, useRemovable } from './hooks';
import { ListBox, type ListRow } from './ListBox';
import { Select } from './Select';
import { VideoGrid, type ScreenInfo, type TileInfo } from './VideoGrid';

const HEADING = 'font-size: 14px; font-weight: bold; margin-top: 6px; margin-bottom: 2px;';

// ---- member list and chat log ------------------------------------------------------------------

const COLORS = { private: '#7b1fa2', mention: '#b35900', mine: '#1a5276' } as const;

function MemberListImpl({
  members,
  selfId,
}: {
  members: MemberInfo[];
  selfId: number | null;
}): React.ReactElement {
  const rows = useMemo<ListRow[]>(
    () => members.map((m) => ({ key: String(m.memberId), text: formatMember(m, selfId) })),
    [members, selfId],
  );
  return <ListBox id="memberList" rows={rows} style="min-height: 90px; max-height: 170px;" />;
}
const MemberList = React.memo(MemberListImpl);

function ChatLogImpl({
  messages,
  count,
  me,
}: {
  messages: readonly ChatMessage[];
  count: number;
  me: string;
}): React.ReactElement {
  const rows = useMemo<ListRow[]>(
    () =>
      messages.slice(0, count).map((m) => {
        const kind = chatKind(m);
        const color =
          kind !== 'public' ? COLORS[kind] : m.from.username === me ? COLORS.mine : undefined;
        return {
          key: String(m.id),
          text: formatChatLine(m, me),
          color,
          background: concernsMe(m, me) ? '#fff3c4' : undefined,
        };
      }),
    // `messages` is the client's array, appended in place: `count` tells when it grew
    [messages, count, me],
  );
  return <ListBox id="chatLog" rows={rows} followTail={true} style="flex: 1; min-height: 120px;" />;
}
const ChatLog = React.memo(ChatLogImpl);

interface ChatPaneProps {
  app: DesktopApp;
  /** Usernames of the other members (targets and completions). */
  others: string[];
  chatCount: number;
  error: string;
}

function ChatPaneImpl({ app, others, chatCount, error }: ChatPaneProps): React.ReactElement {
  const input = useRef<QLineEdit>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [hint, setHint] = useState('');
  const othersRef = useRef(others);
  othersRef.current = others;
  // A private target who left falls back to Everyone.
  const effectiveTarget = target !== null && others.includes(target) ? target : null;
  const targetLabels = useMemo(() => ['Everyone', ...others.map((n) => `Only ${n}`)], [others]);
  const targetIndex = effectiveTarget === null ? 0 : others.indexOf(effectiveTarget) + 1;
  const onTarget = useCallback(
    (i: number) => setTarget(i === 0 ? null : (othersRef.current[i - 1] ?? null)),
    [],
  );

  const send = useCallback(() => {
    const box = input.current;
    if (!box) return;
    const text = box.text();
    if (!text.trim()) return;
    void app.meetingPage.say(text, effectiveTarget).then((ok) => {
      if (ok && box.text() === text) box.clear();
    });
  }, [app, effectiveTarget]);

  const updateHint = useCallback((text: string) => {
    const box = input.current;
    const at = box ? mentionPrefix(text, box.cursorPosition()) : null;
    const names = at ? mentionCandidates(at.prefix, othersRef.current) : [];
    setHint(names.length ? `Tab completes: ${names.map((n) => `@${n}`).join('  ')}` : '');
  }, []);

  // Tab completes `@name` instead of moving the focus (only while a mention is being typed).
  useEffect(() => {
    const box = input.current;
    if (!box) return;
    const onKey = (native?: unknown): void => {
      if (!native) return;
      const event = new QKeyEvent(native as ConstructorParameters<typeof QKeyEvent>[0]);
      if (event.key() !== Key.Key_Tab) return;
      const done = completeMention(box.text(), box.cursorPosition(), othersRef.current);
      if (!done) return;
      box.setText(done.text);
      box.setCursorPosition(done.cursor);
      box.setEventProcessed(true);
    };
    box.addEventListener(WidgetEventTypes.KeyPress, onKey);
    box.setFocus(FocusReason.OtherFocusReason);
    return () => {
      // The widget may already be deleted (its page was removed) when this cleanup runs.
      if (box.native) box.removeEventListener(WidgetEventTypes.KeyPress, onKey);
    };
  }, []);

  const inputOn = useMemo(
    () => ({ returnPressed: send, textChanged: updateHint }),
    [send, updateHint],
  );
  const sendOn = useMemo(() => ({ clicked: send }), [send]);
  return (
    <View id="chatPane" style="flex: 1; flex-direction: column;">
      <Text id="chatHeading" style={HEADING}>
        Chat
      </Text>
      <ChatLog messages={app.chat} count={chatCount} me={app.username} />
      <Text id="mentionHint" style="color: #777;">
        {hint}
      </Text>
      <Text id="meetingError" wordWrap={true} style="min-height: 34px;">
        {error}
      </Text>
      <View id="chatRow" style="flex-direction: row; align-items: 'center';">
        <Select
          id="chatTarget"
          labels={targetLabels}
          index={targetIndex}
          onChange={onTarget}
          style="margin-right: 4px;"
        />
        <LineEdit
          id="chatInput"
          ref={input}
          placeholderText="Message (@name to mention, Tab completes)"
          on={inputOn}
          style="flex: 1;"
        />
        <Button id="chatSend" text="Send" on={sendOn} style="margin-left: 4px;" />
      </View>
    </View>
  );
}
const ChatPane = React.memo(ChatPaneImpl);

// ---- toolbar -------------------------------------------------------------------------------------

const EFFECT_LABELS = FACE_EFFECTS.map(effectLabel);

interface ToolbarProps {
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
const Toolbar = React.memo(ToolbarImpl);

// ---- page ----------------------------------------------------------------------------------------

export function MeetingView({
  app,
  renderer,
}: {
  app: DesktopApp;
  renderer: VideoRenderer;
}): React.ReactElement {
  useAppEvents(app, 'meeting', 'state', 'activeSpeaker', 'media');
  const meeting = app.meeting;
  const selfId = app.selfId;
  const members = app.members;
  const media = app.media;
  const page = useRemovable<QWidget>();

  useEffect(() => {
    renderer.attach(media, selfId);
  }, [renderer, media, selfId]);
  useEffect(() => () => renderer.clear(), [renderer]);

  // Members are a fresh array on every read: key the derived props on their content.
  const membersKey = members
    .map(
      (m) =>
        `${m.memberId}:${m.username}:${m.isHost}:${m.audio}:${m.video}:${m.effect}:${m.screen}`,
    )
    .join('|');
  const memberList = useMemo(() => members, [membersKey]);
  const tiles = useMemo<TileInfo[]>(() => {
    const all = memberList.map((m) => ({
      memberId: m.memberId,
      username: m.username,
      isHost: m.isHost,
      audio: m.audio,
      video: m.video,
      self: m.memberId === selfId,
    }));
    return [...all.filter((t) => t.self), ...all.filter((t) => !t.self)];
  }, [memberList, selfId]);
  // One's own screen is not shown (it would show itself); the notice says it is shared.
  const screens = useMemo<ScreenInfo[]>(
    () =>
      memberList
        .filter((m) => m.screen && m.memberId !== selfId)
        .map((m) => ({ memberId: m.memberId, username: m.username })),
    [memberList, selfId],
  );
  const notice = useRemovable<QWidget>();
  const sharing = app.screenSharing;
  const blockedBy = app.shareBlockedBy;
  const othersKey = memberList
    .filter((m) => m.memberId !== selfId)
    .map((m) => m.username)
    .join('|');
  const others = useMemo(() => (othersKey ? othersKey.split('|') : []), [othersKey]);
  const self = app.meetingPage.selfMediaState();

  return (
    <View id="meetingPage" ref={page} style="flex: 1; flex-direction: column;">
      <View id="meetingHeader" style="flex-direction: row; align-items: 'center'; padding: 6px;">
        <Text id="meetingTitle" style="font-size: 16px; font-weight: bold; margin-right: 12px;">
          {meeting ? meeting.name : ''}
        </Text>
        <Text id="meetingIdLabel">Meeting id:</Text>
        <Text id="meetingId" style="font-family: monospace; margin-left: 4px;">
          {meeting ? meeting.id : ''}
        </Text>
        <View style="flex: 1;" />
        {sharing ? (
          <Text
            id="shareNotice"
            ref={notice}
            style="color: white; background-color: #c0392b; font-weight: bold; padding: 3px 10px;"
          >
            You are sharing your screen
          </Text>
        ) : null}
      </View>
      <View id="meetingBody" style="flex: 1; flex-direction: row;">
        <VideoGrid
          tiles={tiles}
          screens={screens}
          activeSpeaker={app.activeSpeaker}
          renderer={renderer}
          hasMedia={media !== null}
        />
        <View id="sidePane" style="width: 340px; flex-direction: column; padding: 6px;">
          <Text id="membersHeading" style={HEADING}>
            {`People (${memberList.length})`}
          </Text>
          <MemberList members={memberList} selfId={selfId} />
          <ChatPane
            app={app}
            others={others}
            chatCount={app.chat.length}
            error={app.state.meetingError}
          />
        </View>
      </View>
      <Toolbar
        app={app}
        audio={self.audio}
        video={self.video}
        effect={app.effect}
        sharing={sharing}
        shareBusy={app.state.shareBusy}
        blockedBy={blockedBy?.username ?? null}
        isHost={app.isHost}
        allowMultipleScreens={app.roomOptions.allowMultipleScreens}
        error={app.state.toolbarError}
      />
    </View>
  );
}
