import type { Knex } from 'knex';
import { isUniqueViolation } from '../errors';
import { checkInteger, checkString, toNullableNumber, toNumber } from '../rows';

/** A chat message as stored. */
export interface StoredMessage {
  id: number;
  meetingId: string;
  senderUserId: number;
  senderName: string;
  /** Set for a private message. */
  recipientUserId: number | null;
  /** Set when the message goes only to these users (and the sender). */
  mentions: number[] | null;
  text: string;
  createdAt: number;
  /** The sender's idempotency key: a message re-sent with the same key is stored once. */
  clientId?: string | null;
}

interface MessageRow {
  id: number | string;
  meeting_id: string;
  sender_user_id: number | string;
  sender_name: string;
  recipient_user_id: number | string | null;
  mentions: string | null;
  text: string;
  created_at: number | string;
  client_id?: string | null;
}

function parseMentions(value: string | null): number[] | null {
  if (value === null) return null;
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed)) throw new TypeError('Column messages.mentions is not a JSON array');
  return parsed.map((id) => toNumber(id, 'messages.mentions'));
}

function fromRow(row: MessageRow): StoredMessage {
  return {
    id: toNumber(row.id, 'messages.id'),
    meetingId: row.meeting_id,
    senderUserId: toNumber(row.sender_user_id, 'messages.sender_user_id'),
    senderName: row.sender_name,
    recipientUserId: toNullableNumber(row.recipient_user_id, 'messages.recipient_user_id'),
    mentions: parseMentions(row.mentions),
    text: row.text,
    createdAt: toNumber(row.created_at, 'messages.created_at'),
    clientId: row.client_id ?? null,
  };
}

/** Chat history (`messages` table). */
export class MessageRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /**
   * Stores a message and returns it with its id. With a `clientId` the sender stored before, the
   * earlier message is returned instead (`duplicate: true`) and nothing is stored.
   */
  async insert(m: Omit<StoredMessage, 'id'>): Promise<StoredMessage & { duplicate: boolean }> {
    checkString(m.meetingId, 'meetingId', 16);
    checkInteger(m.senderUserId, 'senderUserId');
    checkString(m.senderName, 'senderName', 32);
    if (m.recipientUserId !== null) checkInteger(m.recipientUserId, 'recipientUserId');
    if (m.mentions !== null) {
      if (!Array.isArray(m.mentions)) throw new TypeError('mentions must be an array or null');
      m.mentions.forEach((id, i) => checkInteger(id, `mentions[${i}]`));
    }
    checkString(m.text, 'text', 4_000_000);
    checkInteger(m.createdAt, 'createdAt');
    const clientId = m.clientId ?? null;
    if (clientId !== null) {
      checkString(clientId, 'clientId', 64);
      const earlier = await this.findByClientId(m.senderUserId, clientId);
      if (earlier) return { ...earlier, duplicate: true };
    }
    let ids: number[];
    try {
      ids = await this.#knex('messages').insert({
        meeting_id: m.meetingId,
        sender_user_id: m.senderUserId,
        sender_name: m.senderName,
        recipient_user_id: m.recipientUserId,
        // JSON.stringify of integers has no spaces: historyFor's LIKE patterns rely on that.
        mentions: m.mentions === null ? null : JSON.stringify(m.mentions),
        text: m.text,
        created_at: m.createdAt,
        client_id: clientId,
      });
    } catch (err) {
      // The same message raced in on two links (a resend while the first was being stored).
      const earlier =
        clientId !== null && isUniqueViolation(err)
          ? await this.findByClientId(m.senderUserId, clientId)
          : undefined;
      if (earlier) return { ...earlier, duplicate: true };
      throw err;
    }
    return {
      ...m,
      clientId,
      id: toNumber(ids[0], 'messages.id'),
      mentions: m.mentions === null ? null : [...m.mentions],
      duplicate: false,
    };
  }

  /** The message `senderUserId` sent with the idempotency key `clientId`, if stored. */
  async findByClientId(senderUserId: number, clientId: string): Promise<StoredMessage | undefined> {
    const row = (await this.#knex('messages')
      .where({ sender_user_id: senderUserId, client_id: clientId })
      .first()) as MessageRow | undefined;
    return row && fromRow(row);
  }

  /**
   * The newest `limit` messages of the meeting that `userId` may see, oldest first: room-wide ones
   * plus those the user sent, received privately, or is mentioned in. With `before`, only messages
   * older than that message id (the next page back).
   */
  async historyFor(
    meetingId: string,
    userId: number,
    limit: number,
    before?: number,
  ): Promise<StoredMessage[]> {
    checkInteger(userId, 'userId');
    checkInteger(limit, 'limit');
    if (before !== undefined) checkInteger(before, 'before');
    if (limit === 0) return [];
    // `mentions` is a JSON array like [3,14,15]; these patterns match the id as a whole element.
    const id = String(userId);
    const rows = (await this.#knex('messages')
      .where({ meeting_id: meetingId })
      .andWhere((visible) => {
        visible
          .where((room) => room.whereNull('recipient_user_id').whereNull('mentions'))
          .orWhere('sender_user_id', userId)
          .orWhere('recipient_user_id', userId)
          .orWhere('mentions', 'like', `[${id}]`)
          .orWhere('mentions', 'like', `[${id},%`)
          .orWhere('mentions', 'like', `%,${id},%`)
          .orWhere('mentions', 'like', `%,${id}]`);
      })
      .modify((q) => {
        if (before !== undefined) q.andWhere('id', '<', before);
      })
      .orderBy('id', 'desc')
      .limit(limit)) as MessageRow[];
    return rows.reverse().map(fromRow);
  }

  /** Number of stored messages in the meeting (all recipients). */
  async countForMeeting(meetingId: string): Promise<number> {
    const row = (await this.#knex('messages')
      .where({ meeting_id: meetingId })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return row === undefined ? 0 : toNumber(row.n, 'count');
  }
}
