/**
 * The meeting page: video area (grid, or shared screens over a camera strip), member list (host,
 * face effect and screen sharing marked), chat (history + live, Everyone or one member, `@name` Tab
 * completion, private and mention messages marked) and the toolbar (microphone, camera, face
 * effect, screen share, the host's "Allow several screens", leave). The chat pane and the toolbar
 * have their own modules.
 */
import { QApplication, QSize, type QPushButton, type QWidget } from '@nodegui/nodegui';
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import type { MemberInfo } from '../../../common/protocol';
import type { DesktopApp } from '../DesktopApp';
import { formatMember } from '../format';
import { memberRows, tileMarks } from '../pages/HostPage';
import type { MediaChoices } from '../mediaTypes';
import type { VideoRenderer } from '../VideoRenderer';
import { ReconnectBanner } from './Banners';
import { ChatPane } from './ChatPane';
import { DevicePickers } from './DevicePickers';
import { HostOptions } from './HostOptions';
import { HostMenu, HostPrompt, HostToolbar, openMemberMenu, WaitingPanel } from './HostControls';
import { FilesPane } from './FilesPane';
import { RecordingBar } from './RecordingBar';
import { useAppEvents, useRemovable } from './hooks';
import { icon } from './icons';
import { ListBox, type ListRow } from './ListBox';
import { HEADING } from './styles';
import { Toolbar } from './Toolbar';
import { VideoGrid, type ScreenInfo, type TileInfo } from './VideoGrid';

// ---- member list ---------------------------------------------------------------------------------

function MemberListImpl({
  app,
  members,
  selfId,
  marksKey,
}: {
  app: DesktopApp;
  members: MemberInfo[];
  selfId: number | null;
  /** Raised hands and reactions shown (rows change with it). */
  marksKey: string;
}): React.ReactElement {
  const rows = useMemo<ListRow[]>(
    () =>
      memberRows(members, app.hostPage.hands, app.hostPage.reactions, (m) =>
        formatMember(m, selfId),
      ).map((r) => ({ key: String(r.member.memberId), text: r.text })),
    [members, selfId, marksKey, app],
  );
  // Right click on a row: the host's and co-hosts' actions on that member.
  const onContextMenu = useCallback(
    (key: string, at: { x: number; y: number }) => openMemberMenu(app, Number(key), at),
    [app],
  );
  return (
    <ListBox
      id="memberList"
      rows={rows}
      onContextMenu={onContextMenu}
      style="min-height: 90px; max-height: 170px;"
    />
  );
}
const MemberList = React.memo(MemberListImpl);

// ---- invite --------------------------------------------------------------------------------------

/** The text the "Copy invite" button puts on the clipboard. */
export function inviteText(meeting: { id: string; name: string }, server: string): string {
  return `Join my meeting "${meeting.name}": meeting id ${meeting.id} on server ${server}`;
}

function CopyInviteButton({ app }: { app: DesktopApp }): React.ReactElement {
  const button = useRef<QPushButton | null>(null);
  const ref = useRemovable(button);
  useEffect(() => {
    const b = button.current;
    if (!b) return;
    b.setIcon(icon('copy'));
    b.setIconSize(new QSize(16, 16));
    b.setToolTip('Copy the meeting id and how to join to the clipboard');
  }, []);
  const on = useMemo(
    () => ({
      clicked: () => {
        const meeting = app.meeting;
        if (!meeting) return;
        QApplication.clipboard()?.setText(inviteText(meeting, app.state.server));
        app.notify(`Invite copied: meeting id ${meeting.id}`);
      },
    }),
    [app],
  );
  return (
    <Button id="copyInviteButton" ref={ref} text="Copy invite" on={on} style="margin-left: 8px;" />
  );
}

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
        `${m.memberId}:${m.username}:${m.isHost}:${m.role ?? ''}:${m.audio}:${m.video}:${m.effect}:${m.screen}:${m.reconnecting === true}`,
    )
    .join('|');
  const memberList = useMemo(() => members, [membersKey]);
  const host = app.hostPage;
  const marksKey = `${host.hands.map((h) => `${h.memberId}@${h.at}`).join(',')}|${[
    ...host.reactions,
  ]
    .map(([id, r]) => `${id}:${r}`)
    .join(',')}`;
  const tiles = useMemo<TileInfo[]>(() => {
    const marks = tileMarks(app.hostPage.hands, app.hostPage.reactions);
    const all = memberList.map((m) => ({
      memberId: m.memberId,
      username: m.username,
      isHost: m.isHost,
      audio: m.audio,
      video: m.video,
      self: m.memberId === selfId,
      ...(marks.has(m.memberId) ? { mark: marks.get(m.memberId) } : {}),
    }));
    return [...all.filter((t) => t.self), ...all.filter((t) => !t.self)];
  }, [memberList, selfId, marksKey, app]);
  // One's own screen is not shown (it would show itself); the notice says it is shared.
  const screens = useMemo<ScreenInfo[]>(
    () =>
      memberList
        .filter((m) => m.screen && m.memberId !== selfId)
        .map((m) => ({ memberId: m.memberId, username: m.username })),
    [memberList, selfId],
  );
  const shareNoticeRef = useRemovable<QWidget>();
  const sharing = app.screenSharing;
  const blockedBy = app.shareBlockedBy;
  const othersKey = memberList
    .filter((m) => m.memberId !== selfId)
    .map((m) => m.username)
    .join('|');
  const others = useMemo(() => (othersKey ? othersKey.split('|') : []), [othersKey]);
  const self = app.meetingPage.selfMediaState();
  const { viewMode, pinned, sidePane, notice, settingsOpen } = app.state;
  const onPin = useCallback((memberId: number) => app.togglePin(memberId), [app]);
  const pickDevices = useCallback(
    (patch: Partial<MediaChoices>) => void app.meetingPage.switchDevices(patch),
    [app],
  );
  const sideRef = useRemovable<QWidget>();
  const settingsRef = useRemovable<QWidget>();
  const peopleRef = useRemovable<QWidget>();
  const noticeRef = useRemovable<QWidget>();
  const waiting = host.moderator ? host.waiting : [];
  const prompt = host.prompt;
  const options = app.roomOptions;
  const hostSlot = useMemo(
    () => <HostToolbar app={app} handRaised={host.handRaised} />,
    [app, host.handRaised],
  );
  const hostMenuRef = useRemovable<QWidget>();

  return (
    <View id="meetingPage" ref={page} style="flex: 1; flex-direction: column;">
      <ReconnectBanner app={app} />
      <View id="meetingHeader" style="flex-direction: row; align-items: 'center'; padding: 6px;">
        <Text id="meetingTitle" style="font-size: 16px; font-weight: bold; margin-right: 12px;">
          {meeting ? meeting.name : ''}
        </Text>
        <Text id="meetingIdLabel">Meeting id:</Text>
        <Text id="meetingId" style="font-family: monospace; margin-left: 4px;">
          {meeting ? meeting.id : ''}
        </Text>
        <CopyInviteButton app={app} />
        {notice ? (
          <Text
            id="meetingNotice"
            ref={noticeRef}
            style="margin-left: 12px; min-width: 420px; font-weight: bold;"
          >
            {notice}
          </Text>
        ) : null}
        <View style="flex: 1;" />
        {sharing ? (
          <Text
            id="shareNotice"
            ref={shareNoticeRef}
            style="color: white; background-color: #c0392b; font-weight: bold; padding: 3px 10px;"
          >
            You are sharing your screen
          </Text>
        ) : null}
      </View>
      <RecordingBar app={app} />
      {prompt ? <HostPrompt app={app} prompt={prompt} /> : null}
      {waiting.length > 0 ? <WaitingPanel app={app} waiting={waiting} /> : null}
      <View id="meetingBody" style="flex: 1; flex-direction: row;">
        <VideoGrid
          tiles={tiles}
          viewMode={viewMode}
          pinned={pinned}
          onPin={onPin}
          selfId={selfId}
          screens={screens}
          activeSpeaker={app.activeSpeaker}
          renderer={renderer}
          hasMedia={media !== null}
        />
        {sidePane || settingsOpen ? (
          <View
            id="sidePane"
            ref={sideRef}
            style="width: 380px; flex-direction: column; padding: 6px;"
          >
            {settingsOpen ? (
              <View id="settingsPane" ref={settingsRef} style="flex-direction: column;">
                <DevicePickers app={app} heading="Settings" pick={pickDevices} />
                {app.isHost ? (
                  <HostOptions
                    app={app}
                    allowMultipleScreens={app.roomOptions.allowMultipleScreens}
                  />
                ) : null}
                <Text id="mediaNote" wordWrap={true}>
                  {app.state.mediaError || 'Changes apply at once; Settings again closes this.'}
                </Text>
              </View>
            ) : null}
            {sidePane && !settingsOpen ? (
              <View id="peoplePane" ref={peopleRef} style="flex: 1; flex-direction: column;">
                <View style="flex-direction: row; align-items: 'center';">
                  <Text id="membersHeading" style={HEADING}>
                    {`People (${memberList.length})`}
                  </Text>
                  <View style="flex: 1;" />
                  {host.moderator ? (
                    <View ref={hostMenuRef} style="flex-direction: row;">
                      <HostMenu
                        app={app}
                        isHost={host.role === 'host'}
                        locked={options.locked === true}
                        waitingRoom={options.waitingRoom === true}
                      />
                    </View>
                  ) : null}
                </View>
                <MemberList app={app} members={memberList} selfId={selfId} marksKey={marksKey} />
                <FilesPane app={app} others={others} />
                <ChatPane
                  app={app}
                  others={others}
                  chatCount={app.chat.length}
                  error={app.state.meetingError}
                />
              </View>
            ) : null}
          </View>
        ) : null}
      </View>
      <Toolbar
        app={app}
        audio={self.audio}
        video={self.video}
        effect={app.effect}
        sharing={sharing}
        shareBusy={app.state.shareBusy}
        blockedBy={blockedBy?.username ?? null}
        viewMode={viewMode}
        fullScreen={app.state.fullScreen}
        sidePane={sidePane}
        unreadChat={app.state.unreadChat}
        settingsOpen={settingsOpen}
        error={app.state.toolbarError}
        hostSlot={hostSlot}
      />
    </View>
  );
}
