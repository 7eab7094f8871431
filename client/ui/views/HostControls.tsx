/**
 * Host controls, the waiting room, raised hands and reactions in the meeting window: the toolbar's
 * raise-hand button (Alt+H) and reactions menu; the host's "Host" menu beside the member list's
 * heading (lock, waiting room, password, end for all); the member list's context menu; the host's waiting-room panel and
 * inline prompts (password, "end for everyone?"); and the joiner's "waiting for the host" screen.
 * Intents and state are HostPage's (pages/HostPage.ts).
 */
import {
  EchoMode,
  QAction,
  QMenu,
  QPoint,
  QSize,
  type QLineEdit,
  type QPushButton,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import { REACTIONS, type ReactionName } from '../../../common/constants';
import type { WaitingInfo } from '../../../common/protocol';
import type { DesktopApp } from '../DesktopApp';
import { MEMBER_ACTION_LABELS, reactionText, type MemberAction } from '../pages/HostPage';
import { useAppEvents, useRemovable } from './hooks';
import { icon } from './icons';
import { keysOf } from './shortcuts';
import { HEADING } from './styles';
import { ToolButton } from './Toolbar';

/** Menu mnemonics (a real key picks the entry: M mutes). */
const MNEMONIC: Record<MemberAction, string> = {
  mute: '&Mute',
  'ask-unmute': 'Ask to &unmute',
  'camera-off': 'Turn &camera off',
  'stop-screen': 'Stop &screen share',
  'lower-hand': '&Lower hand',
  remove: '&Remove',
  'remove-bar': 'Remove and &bar',
  'make-host': 'Make &host',
  'make-co-host': 'Make c&o-host',
  'make-member': 'Remove c&o-host',
};

/** The menu shown now (kept referenced while open: NodeGui would collect it). */
let shownMenu: { menu: QMenu; actions: QAction[] } | null = null;

function showMenu(menu: QMenu, actions: QAction[], at: { x: number; y: number }): void {
  if (shownMenu) shownMenu.menu.close();
  shownMenu = { menu, actions };
  menu.popup(new QPoint(at.x, at.y));
}

/**
 * Opens the member row's context menu with the actions this viewer may take on `memberId`
 * (nothing for a plain member or one's own row).
 */
export function openMemberMenu(app: DesktopApp, memberId: number, at: { x: number; y: number }) {
  const allowed = app.hostPage.actionsFor(memberId);
  app.hostPage.menuOpened(allowed.map((a) => MEMBER_ACTION_LABELS[a]));
  if (allowed.length === 0) return;
  const menu = new QMenu();
  menu.setObjectName('memberMenu');
  const actions = allowed.map((a, i) => {
    const action = new QAction();
    action.setText(MNEMONIC[a]);
    action.addEventListener('triggered', () => void app.hostPage.act(memberId, a));
    menu.addAction(action);
    // Removal apart from the rest.
    if (allowed[i + 1] === 'remove') menu.addSeparator();
    return action;
  });
  showMenu(menu, actions, at);
}

// ---- toolbar -------------------------------------------------------------------------------------

/** A toolbar button that opens a menu (built by `build`, rebuilt when `deps` change). */
function MenuButton({
  id,
  text,
  tip,
  iconName,
  compact = false,
  items,
}: {
  id: string;
  text: string;
  tip: string;
  iconName: 'react' | 'host';
  /** Icon only (the tooltip says what it does). */
  compact?: boolean;
  items: Array<{ text: string; checked?: boolean; run: () => void } | null>;
}): React.ReactElement {
  const button = useRef<QPushButton | null>(null);
  const ref = useRemovable(button);
  const kept = useRef<{ menu: QMenu; actions: QAction[] } | null>(null);
  useEffect(() => {
    const b = button.current;
    if (!b) return;
    b.setIcon(icon(iconName));
    b.setIconSize(new QSize(20, 20));
    b.setToolTip(tip);
    b.setAccessibleName(text);
  }, [iconName, tip, text]);
  useEffect(() => {
    const b = button.current;
    if (!b) return;
    const menu = new QMenu();
    menu.setObjectName(`${id}Menu`);
    const actions: QAction[] = [];
    for (const item of items) {
      if (!item) {
        menu.addSeparator();
        continue;
      }
      const action = new QAction();
      action.setText(item.text);
      if (item.checked !== undefined) {
        action.setCheckable(true);
        action.setChecked(item.checked);
      }
      action.addEventListener('triggered', () => item.run());
      menu.addAction(action);
      actions.push(action);
    }
    b.setMenu(menu);
    kept.current = { menu, actions };
  }, [items, id]);
  return (
    <Button
      id={id}
      ref={ref}
      text={compact ? '' : text}
      style={
        compact
          ? 'margin-right: 3px; padding: 5px 2px; width: 42px;'
          : 'margin-right: 6px; padding: 5px 8px;'
      }
    />
  );
}

/** The toolbar's part: raise hand (Alt+H) and the reactions menu, icons only (the row is full). */
function HostToolbarImpl({
  app,
  handRaised,
}: {
  app: DesktopApp;
  handRaised: boolean;
}): React.ReactElement {
  const onHand = useCallback(() => void app.hostPage.toggleHand(), [app]);
  const reactionItems = useMemo(
    () =>
      REACTIONS.map((r: ReactionName) => ({
        text: `${reactionText(r)}  ${r.replace('-', ' ')}`,
        run: () => void app.hostPage.react(r),
      })),
    [app],
  );
  return (
    <View id="hostControls" style="flex-direction: row; align-items: 'center';">
      <ToolButton
        id="handButton"
        text={handRaised ? 'Lower hand' : 'Raise hand'}
        iconName="hand"
        iconColour={handRaised ? '#d35400' : undefined}
        tip={`${handRaised ? 'Lower' : 'Raise'} your hand${keysOf('raise hand')}`}
        onClick={onHand}
        compact
        style="padding: 5px 2px; margin-right: 3px; width: 36px;"
      />
      <MenuButton
        id="reactionsButton"
        text="React"
        tip="Send a reaction to the meeting"
        iconName="react"
        compact
        items={reactionItems}
      />
    </View>
  );
}
export const HostToolbar = React.memo(HostToolbarImpl);

/**
 * The host's and co-hosts' menu, beside the member list's heading: Lock meeting, Waiting room;
 * the host also sets or clears the password and ends the meeting for all (after a confirmation).
 */
function HostMenuImpl({
  app,
  isHost,
  locked,
  waitingRoom,
}: {
  app: DesktopApp;
  isHost: boolean;
  locked: boolean;
  waitingRoom: boolean;
}): React.ReactElement {
  const hostItems = useMemo(() => {
    const h = app.hostPage;
    const items: Array<{ text: string; checked?: boolean; run: () => void } | null> = [
      { text: '&Lock meeting', checked: locked, run: () => void h.setLocked(!locked) },
      {
        text: '&Waiting room',
        checked: waitingRoom,
        run: () => void h.setWaitingRoom(!waitingRoom),
      },
    ];
    if (isHost)
      items.push(
        null,
        { text: 'Set meeting &password…', run: () => h.showPrompt('password') },
        { text: '&Clear meeting password', run: () => void h.setPassword(null) },
        null,
        { text: '&End meeting for all…', run: () => h.showPrompt('end') },
      );
    return items;
  }, [app, locked, waitingRoom, isHost]);
  const hostRef = useRemovable<QWidget>();
  return (
    <View ref={hostRef} id="hostMenuHolder" style="flex-direction: row;">
      <MenuButton
        id="hostMenuButton"
        text="Host"
        tip="Lock the meeting, waiting room, password, end the meeting"
        iconName="host"
        items={hostItems}
      />
    </View>
  );
}
export const HostMenu = React.memo(HostMenuImpl);

// ---- the host's panels -----------------------------------------------------------------------

function WaiterRow({ app, waiter }: { app: DesktopApp; waiter: WaitingInfo }): React.ReactElement {
  const ref = useRemovable<QWidget>();
  const admitOn = useMemo(
    () => ({ clicked: () => void app.hostPage.admit(waiter.userId) }),
    [app, waiter.userId],
  );
  const denyOn = useMemo(
    () => ({ clicked: () => void app.hostPage.deny(waiter.userId) }),
    [app, waiter.userId],
  );
  return (
    <View
      ref={ref}
      id={`waiter-${waiter.userId}`}
      style="flex-direction: row; align-items: 'center';"
    >
      <Text id={`waiterName-${waiter.userId}`} style="min-width: 120px;">
        {waiter.username}
      </Text>
      <Button id={`admit-${waiter.userId}`} text="Admit" on={admitOn} />
      <Button id={`deny-${waiter.userId}`} text="Deny" on={denyOn} />
    </View>
  );
}

/** Who waits to be let in, for the host and co-hosts: Admit / Deny each, Admit all. */
export function WaitingPanel({
  app,
  waiting,
}: {
  app: DesktopApp;
  waiting: readonly WaitingInfo[];
}): React.ReactElement {
  const root = useRemovable<QWidget>();
  const allOn = useMemo(() => ({ clicked: () => void app.hostPage.admit('all') }), [app]);
  return (
    <View
      id="waitingPanel"
      ref={root}
      style="flex-direction: column; padding: 6px; background-color: #fff4d6;"
    >
      <View style="flex-direction: row; align-items: 'center';">
        <Text id="waitingHeading" style={HEADING}>
          {`Waiting room (${waiting.length})`}
        </Text>
        <Button id="admitAllButton" text="Admit all" on={allOn} style="margin-left: 8px;" />
      </View>
      {waiting.map((w) => (
        <WaiterRow key={w.userId} app={app} waiter={w} />
      ))}
    </View>
  );
}

/** The host's inline prompts: the meeting password, and "end the meeting for everyone?". */
export function HostPrompt({
  app,
  prompt,
}: {
  app: DesktopApp;
  prompt: 'password' | 'end';
}): React.ReactElement {
  const root = useRemovable<QWidget>();
  const input = useRef<QLineEdit | null>(null);
  const inputRef = useRemovable(input);
  const cancelOn = useMemo(() => ({ clicked: () => app.hostPage.showPrompt(null) }), [app]);
  const setOn = useMemo(
    () => ({ clicked: () => void app.hostPage.setPassword(input.current?.text() ?? '') }),
    [app],
  );
  const inputOn = useMemo(
    () => ({ returnPressed: () => void app.hostPage.setPassword(input.current?.text() ?? '') }),
    [app],
  );
  const endOn = useMemo(() => ({ clicked: () => void app.hostPage.endMeeting() }), [app]);
  return (
    <View
      id="hostPrompt"
      ref={root}
      style="flex-direction: row; align-items: 'center'; padding: 6px; background-color: #eef;"
    >
      {prompt === 'password' ? (
        <>
          <Text>Meeting password:</Text>
          <LineEdit
            id="meetingPasswordInput"
            ref={inputRef}
            echoMode={EchoMode.Password}
            placeholderText="empty: no password"
            on={inputOn}
            style="margin-left: 6px; min-width: 200px;"
          />
          <Button id="meetingPasswordSet" text="Set" on={setOn} style="margin-left: 6px;" />
        </>
      ) : (
        <>
          <Text id="endConfirmText" style="font-weight: bold;">
            End the meeting for everyone?
          </Text>
          <Button
            id="endConfirmButton"
            text="End for all"
            on={endOn}
            style="margin-left: 8px; color: white; background-color: #c0392b;"
          />
        </>
      )}
      <Button id="hostPromptCancel" text="Cancel" on={cancelOn} style="margin-left: 6px;" />
    </View>
  );
}

// ---- the joiner ------------------------------------------------------------------------------------

/** "Waiting for the host to let you in", with Cancel; nothing while not waiting. */
export function WaitingScreen({ app }: { app: DesktopApp }): React.ReactElement | null {
  useAppEvents(app, 'meeting', 'state');
  const root = useRemovable<QWidget>();
  const cancelOn = useMemo(() => ({ clicked: () => app.hostPage.cancelWaiting() }), [app]);
  if (app.hostPage.waitingFor === null || app.state.page !== 'join') return null;
  return (
    <View
      id="waitingScreen"
      ref={root}
      style="flex-direction: row; align-items: 'center'; padding: 10px; background-color: #fff4d6;"
    >
      <Text id="waitingText" style="font-size: 15px; font-weight: bold;">
        Waiting for the host to let you in
      </Text>
      <Button id="waitingCancelButton" text="Cancel" on={cancelOn} style="margin-left: 12px;" />
    </View>
  );
}
