/**
 * Meeting ids: three groups of four characters of Crockford's base32 (`k3tq-8zrm-c1x5`), 2^60
 * possibilities drawn from the system's CSPRNG, so ids cannot be enumerated, yet are easy to read
 * aloud (no i, l, o, u) and forgiving when typed (case, spaces, dashes, i/l for 1, o for 0).
 */
import { randomInt } from 'node:crypto';
import {
  MEETING_ID_ALPHABET,
  MEETING_ID_GROUP_LENGTH,
  MEETING_ID_GROUPS,
} from '../common/constants';

const LENGTH = MEETING_ID_GROUPS * MEETING_ID_GROUP_LENGTH;

function group(chars: string): string {
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += MEETING_ID_GROUP_LENGTH)
    parts.push(chars.slice(i, i + MEETING_ID_GROUP_LENGTH));
  return parts.join('-');
}

/** A new random meeting id. */
export function newMeetingId(): string {
  let chars = '';
  for (let i = 0; i < LENGTH; i++)
    chars += MEETING_ID_ALPHABET[randomInt(MEETING_ID_ALPHABET.length)];
  return group(chars);
}

/**
 * The canonical form of a typed meeting id. Ids of the current form are normalised; anything else
 * (ids of older versions, such as `123-456-789`) is only trimmed and lower-cased.
 */
export function normalizeMeetingId(typed: string): string {
  const trimmed = typed.replace(/\s+/g, '').toLowerCase();
  const chars = trimmed.replace(/-/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (chars.length === LENGTH && [...chars].every((c) => MEETING_ID_ALPHABET.includes(c)))
    return group(chars);
  return trimmed;
}
