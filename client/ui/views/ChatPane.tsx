/**
 * The meeting's chat: the log (history and live messages, each line with its audience; private,
 * mention and one's own lines marked) and the composer: who the message will reach (Everyone, one
 * member chosen in the selector, or, while the text @mentions members, only them, with "Send to
 * everyone" to override), the input with `@name` Tab completion, and a length counter.
 */
import {
  FocusReason,
  Key,
  QKeyEvent,
  WidgetEventTypes,
  type QLineEdit,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { CHAT_MAX_LENGTH, DESKTOP_CHAT_WARN_LEFT } from '../../../common/constants';
import type { ChatMessage } from '../../../common/protocol';
import type { DesktopApp } from '../DesktopApp';
import {
  chatKind,
  completeMention,
  concernsMe,
  formatChatLine,
  mentionCandidates,
  mentionedMembers,
  mentionPrefix,
} from '../format';
import { useRemovable } from './hooks';
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

/** Who the message being typed will reach, as the indicator says it. */
export function audienceText(target: string | null, mentioned: readonly string[]): string {
  if (target !== null) return `To: only ${target} (private)`;
  if (mentioned.length > 0) return `To: only ${mentioned.map((n) => `@${n}`).join(', ')}`;
  return 'To: everyone';
}

function ChatPaneImpl({ app, others, chatCount, error }: ChatPaneProps): React.ReactElement {
  const input = useRef<QLineEdit>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [hint, setHint] = useState('');
  const [text, setText] = useState('');
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
  const mentioned = useMemo(
    () => (effectiveTarget === null ? mentionedMembers(text, others) : []),
    [text, others, effectiveTarget],
  );

  const send = useCallback(
    (everyone: boolean) => {
      const box = input.current;
      if (!box) return;
      const typed = box.text();
      if (!typed.trim()) return;
      const to = effectiveTarget;
      void app.meetingPage.say(typed, to, everyone).then((ok) => {
        if (!ok) return;
        if (box.native && box.text() === typed) box.clear();
        // A private message does not make the next one private too.
        if (to !== null) setTarget(null);
      });
    },
    [app, effectiveTarget],
  );

  const onTextChanged = useCallback((value: string) => {
    setText(value);
    const box = input.current;
    const at = box ? mentionPrefix(value, box.cursorPosition()) : null;
    const names = at ? mentionCandidates(at.prefix, othersRef.current) : [];
    setHint(names.length ? `Tab completes: ${names.map((n) => `@${n}`).join('  ')}` : '');
  }, []);

  // Tab completes `@name` instead of moving the focus (only while a mention is being typed).
  useEffect(() => {
    const box = input.current;
    if (!box) return;
    box.setMaxLength(CHAT_MAX_LENGTH);
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
    () => ({ returnPressed: () => send(false), textChanged: onTextChanged }),
    [send, onTextChanged],
  );
  const sendOn = useMemo(() => ({ clicked: () => send(false) }), [send]);
  const sendAllOn = useMemo(() => ({ clicked: () => send(true) }), [send]);
  const sendAllRef = useRemovable<QWidget>();
  const left = CHAT_MAX_LENGTH - text.length;
  const directed = effectiveTarget !== null || mentioned.length > 0;
  return (
    <View id="chatPane" style="flex: 1; flex-direction: column;">
      <Text id="chatHeading" style={HEADING}>
        Chat
      </Text>
      <ChatLog messages={app.chat} count={chatCount} me={app.username} />
      <Text id="mentionHint" style="color: #666;">
        {hint}
      </Text>
      <Text id="meetingError" wordWrap={true}>
        {error}
      </Text>
      <Text
        id="chatAudience"
        wordWrap={true}
        style={`font-weight: bold; color: ${directed ? '#b35900' : '#2e7d32'};`}
      >
        {audienceText(effectiveTarget, mentioned)}
      </Text>
      <View
        id="audienceRow"
        style="flex-direction: row; align-items: 'center'; margin-bottom: 3px;"
      >
        <Select id="chatTarget" labels={targetLabels} index={targetIndex} onChange={onTarget} />
        <View style="flex: 1;" />
        {mentioned.length > 0 ? (
          <Button
            id="chatSendAll"
            ref={sendAllRef}
            text="Send to everyone instead"
            on={sendAllOn}
            style="padding: 2px 8px;"
          />
        ) : null}
      </View>
      <View id="chatRow" style="flex-direction: row; align-items: 'center';">
        <LineEdit
          id="chatInput"
          ref={input}
          placeholderText="Message… (@name: to them only)"
          on={inputOn}
          style="flex: 1; min-height: 26px;"
        />
        <Button id="chatSend" text="Send" on={sendOn} style="margin-left: 4px;" />
      </View>
      <Text
        id="chatCounter"
        style={`qproperty-alignment: 'AlignRight'; color: ${left < DESKTOP_CHAT_WARN_LEFT ? '#c0392b' : '#888'};`}
      >
        {`${text.length} / ${CHAT_MAX_LENGTH}`}
      </Text>
    </View>
  );
}
/** The chat pane of the meeting page. */
export const ChatPane = React.memo(ChatPaneImpl);
