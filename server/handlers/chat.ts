/** Chat: room messages, private messages and @mentions, acknowledged only once stored. */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { ChatMessage } from '../../common/protocol';
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

export const chatHandlers: HandlerTable<'chat'> = {
  chat: async (connection, { text, to }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    let recipient: Member | undefined;
    let mentioned: Member[] = [];
    if (to !== undefined) {
      recipient = room.findByUsername(to);
      if (!recipient)
        throw new MeetingError(ErrorCode.RECIPIENT_NOT_FOUND, `'${to}' is not in this meeting`);
    } else {
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
    });
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
