/**
 * The meeting's chat: the log (history and live messages; private, mention and one's own lines
 * marked) and the input with its target (Everyone or one member) and `@name` Tab completion.
 */
import { FocusReason, Key, QKeyEvent, WidgetEventTypes, type QLineEdit } from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChatMessage } from '../../../common/protocol';
import type { DesktopApp } from '../DesktopApp';
import {
  chatKind,
  completeMention,
  concernsMe,
  formatChatLine,
  mentionCandidates,
  mentionPrefix,
} from '../format';
import { ListBox, type ListRow } from './ListBox';
import { Select } from './Select';
import { HEADING } from './styles';

const COLORS = { private: '#7b1fa2', mention: '#b35900', mine: '#1a5276' } as const;

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

export interface ChatPaneProps {
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
/** The chat pane of the meeting page. */
export const ChatPane = React.memo(ChatPaneImpl);
