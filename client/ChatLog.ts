/**
 * The chat a member saw in a meeting, written to a text file when it leaves: one line per message,
 * `time<TAB>sender<TAB>recipient<TAB>text` (recipient `*` for the room; tabs, newlines and other
 * control characters in the text escaped), after a header naming the meeting.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChatMessage, MeetingInfo } from '../common/protocol';
import { sanitizeFileName } from '../common/files';

/** One message as a log line (without the newline). */
export function chatLogLine(m: ChatMessage): string {
  const text = m.text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u001f\u007f]/g,
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
  const to = m.to ?? (m.mentions ? m.mentions.map((u) => `@${u}`).join(',') : '*');
  return `${new Date(m.at).toISOString()}\t${m.from.username}\t${to}\t${text}`;
}

/** The whole log of a meeting's chat. */
export function formatChatLog(meeting: MeetingInfo, chat: readonly ChatMessage[]): string {
  const head = `# meeting ${meeting.id} "${meeting.name.replace(/[\r\n]/g, ' ')}" saved ${new Date().toISOString()}\n# time\tfrom\tto\ttext\n`;
  return head + chat.map((m) => `${chatLogLine(m)}\n`).join('');
}

/** The default file name of a meeting's chat log in a chat-log folder. */
export function chatLogName(meeting: MeetingInfo, at = new Date()): string {
  const stamp = at.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return sanitizeFileName(`${stamp} ${meeting.name} ${meeting.id}.txt`) ?? `${meeting.id}.txt`;
}

/** Writes the log to `file` (its folder created); returns the path written. */
export function writeChatLog(
  file: string,
  meeting: MeetingInfo,
  chat: readonly ChatMessage[],
): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, formatChatLog(meeting, chat), { mode: 0o600 });
  return path.resolve(file);
}
