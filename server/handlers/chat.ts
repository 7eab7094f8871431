/** Chat: room messages, private messages and @mentions, acknowledged only once stored. */
import { ErrorCode, MeetingError } from '../../common/errors';
import {
  CHAT_HISTORY_PAGE_BYTES,
  CHAT_HISTORY_ON_JOIN as CHAT_HISTORY_PAGE_MESSAGES,
} from '../../common/constants';
import type { ChatHistoryPage, ChatMessage } from '../../common/protocol';
import type { StoredMessage } from '../../db';
import type { Member } from '../Member';
import type { HandlerTable, ServerContext } from './context';
import { requireRoom, requireSession } from './guards';

const MENTION = /@([A-Za-z0-9_.-]{3,32})/g;

/** Stored messages as the protocol's ChatMessage, with usernames for recipients and mentions. */
export async function toChatMessages(
  stored: StoredMessage[],
  ctx: ServerContext,
): Promise<ChatMessage[]> {
  const names = new Map<number, string>();
  for (const m of stored) names.set(m.senderUserId, m.senderName);
  const ids = new Set<number>();
  for (const m of stored) {
    if (m.recipientUserId !== null) ids.add(m.recipientUserId);
    for (const id of m.mentions ?? []) ids.add(id);
  }
  for (const id of ids) {
    if (!names.has(id)) names.set(id, (await ctx.db.users.findById(id))?.username ?? `#${id}`);
  }
  const name = (id: number): string => names.get(id) ?? `#${id}`;
  return stored.map((m) => ({
    id: m.id,
    meetingId: m.meetingId,
    from: { userId: m.senderUserId, username: m.senderName },
    to: m.recipientUserId === null ? null : name(m.recipientUserId),
    mentions: m.mentions === null ? null : m.mentions.map(name),
    text: m.text,
    at: m.createdAt,
  }));
}

/**
 * One page of the meeting's chat history that `userId` may see, before message id `before` (the
 * newest page without), oldest first and at most `budget` bytes of JSON. A page holds at least one
 * message when `atLeastOne`, whatever its size (one message is always well under a frame).
 */
export async function historyPage(
  meetingId: string,
  userId: number,
  before: number | undefined,
  budget: number,
  atLeastOne: boolean,
  ctx: ServerContext,
): Promise<ChatHistoryPage> {
  const stored = await ctx.db.messages.historyFor(
    meetingId,
    userId,
    CHAT_HISTORY_PAGE_MESSAGES + 1,
    before,
  );
  let more = stored.length > CHAT_HISTORY_PAGE_MESSAGES;
  if (more) stored.shift();
  const messages = await toChatMessages(stored, ctx);
  let start = messages.length;
  for (let bytes = 0; start > 0; start--) {
    const size = Buffer.byteLength(JSON.stringify(messages[start - 1])) + 1;
    if (bytes + size > budget && !(atLeastOne && start === messages.length)) break;
    bytes += size;
  }
  if (start > 0) more = true;
  return { messages: messages.slice(start), more };
}

export const chatHandlers: HandlerTable<'chat' | 'chatHistory'> = {
  chatHistory: async (connection, { before }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room } = requireRoom(session);
    return historyPage(room.id, session.userId, before, CHAT_HISTORY_PAGE_BYTES, true, ctx);
  },

  chat: async (connection, { text, to, clientId, everyone }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    // A message re-sent after a reconnect (same clientId) is answered with the stored one, and
    // not delivered again.
    if (clientId !== undefined) {
      const earlier = await ctx.db.messages.findByClientId(member.userId, clientId);
      if (earlier) return (await toChatMessages([earlier], ctx))[0] as ChatMessage;
    }
    if (!ctx.limiters.chat.take(String(member.id)))
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
    let recipient: Member | undefined;
    let mentioned: Member[] = [];
    if (to !== undefined) {
      recipient = room.findByUsername(to);
      if (!recipient)
        throw new MeetingError(ErrorCode.RECIPIENT_NOT_FOUND, `'${to}' is not in this meeting`);
    } else if (!everyone) {
      // @mentions direct the message to the members named, unless it is sent to everyone anyway.
      const names = new Set([...text.matchAll(MENTION)].map((m) => m[1] as string));
      mentioned = [...names]
        .map((n) => room.findByUsername(n))
        .filter((m): m is Member => !!m && m !== member);
    }
    const stored = await ctx.db.messages.insert({
      meetingId: room.id,
      senderUserId: member.userId,
      senderName: member.username,
      recipientUserId: recipient ? recipient.userId : null,
      mentions: mentioned.length > 0 ? mentioned.map((m) => m.userId) : null,
      text,
      createdAt: Date.now(),
      clientId: clientId ?? null,
    });
    if (stored.duplicate) return (await toChatMessages([stored], ctx))[0] as ChatMessage;
    const message: ChatMessage = {
      id: stored.id,
      meetingId: room.id,
      from: { userId: member.userId, username: member.username },
      to: recipient ? recipient.username : null,
      mentions: mentioned.length > 0 ? mentioned.map((m) => m.username) : null,
      text,
      at: stored.createdAt,
    };
    // Stored first, then delivered and acknowledged (the reply).
    if (recipient) {
      if (recipient !== member) recipient.sendEvent('chat', message);
    } else if (mentioned.length > 0) {
      for (const m of mentioned) if (!m.closed) m.sendEvent('chat', message);
    } else {
      room.broadcast('chat', message, member);
    }
    return message;
  },
};
