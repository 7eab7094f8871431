import assert from 'node:assert/strict';
import { FACE_EFFECTS } from '../../common/constants';
import { DecodeError, ErrorCode } from '../../common/errors';
import {
  ServerEventSchemas,
  parseServerEvent,
  type ServerEventName,
  type ServerEvents,
} from '../../common/protocol';

const member: ServerEvents['memberJoined'] = {
  memberId: 3,
  userId: 7,
  username: 'alice',
  isHost: false,
  audio: true,
  video: false,
  effect: 'none',
  screen: false,
  joinedAt: 1_700_000_000_000,
};

const chat: ServerEvents['chat'] = {
  id: 12,
  meetingId: 'abc123',
  from: { userId: 7, username: 'alice' },
  to: null,
  mentions: ['bob'],
  text: 'hello @bob',
  at: 1_700_000_000_001,
};

/** One well-formed payload of every event the server sends. */
const samples: { [K in ServerEventName]: ServerEvents[K] } = {
  memberJoined: member,
  memberLeft: { memberId: 3, userId: 7, username: 'alice', reason: 'timeout' },
  hostChanged: { memberId: 3, userId: 7, username: 'alice' },
  mediaState: { memberId: 3, audio: false, video: true },
  effectChanged: { memberId: 3, effect: 'glasses' },
  screenShare: { memberId: 3, active: true },
  roomOptions: { allowMultipleScreens: true },
  memberConnection: { memberId: 3, state: 'reconnecting' },
  chat,
  recording: {
    active: true,
    recordingId: 4,
    by: { userId: 7, username: 'alice' },
    since: 1_700_000_000_002,
  },
  kicked: { code: ErrorCode.LOGGED_IN_ELSEWHERE, message: 'logged in elsewhere' },
  protocolError: { code: 'ERR_BAD_JSON', message: 'control frame is not valid JSON' },
  moderated: { action: 'mute', by: 'bob' },
  removed: { by: 'bob', barred: true },
  meetingEnded: { by: 'bob' },
  roleChanged: { memberId: 3, userId: 7, role: 'co-host' },
  admitted: { meetingId: 'abc123' },
  waitingDenied: { meetingId: 'abc123' },
  waitingList: { waiting: [{ userId: 7, username: 'alice', since: 1_700_000_000_000 }] },
  hand: { memberId: 3, raised: true, at: 1_700_000_000_002 },
  reaction: { memberId: 3, reaction: 'clap' },
  goingAway: { message: 'server shutting down', retryInMs: 1000 },
  redirect: {
    host: '127.0.0.1',
    port: 47801,
    fingerprint: null,
    meetingId: 'k3tq8zrmc1x5',
    ticket: 'abc',
  },
  fileOffered: {
    id: 4,
    meetingId: 'abc123',
    from: { userId: 7, username: 'alice' },
    to: null,
    name: 'notes.txt',
    mime: 'text/plain',
    size: 12,
    sha256: 'a'.repeat(64),
    at: 1_700_000_000_002,
    laterJoiners: false,
    complete: true,
  },
  fileAck: { fileId: 4, offset: 524288 },
  fileError: { fileId: 4, code: ErrorCode.FILE_CORRUPT, message: 'bad digest' },
};

function rejects(name: string, data: unknown, where: RegExp): void {
  assert.throws(
    () => parseServerEvent(name, data),
    (e: unknown) =>
      e instanceof DecodeError &&
      e.code === ErrorCode.BAD_REQUEST &&
      e.message.startsWith(`malformed ${name} event: `) &&
      where.test(e.message),
  );
}

describe('server event schemas', () => {
  it('has a schema for every event and accepts a well-formed payload of each unchanged', () => {
    assert.deepEqual(Object.keys(ServerEventSchemas).sort(), Object.keys(samples).sort());
    for (const [name, data] of Object.entries(samples)) {
      assert.deepEqual(parseServerEvent(name, data), { name, data }, name);
    }
  });

  it('ignores event names it does not know (a newer server), prototype keys included', () => {
    assert.equal(parseServerEvent('reactionAdded', { emoji: '👍' }), null);
    assert.equal(parseServerEvent('toString', {}), null);
    assert.equal(parseServerEvent('__proto__', {}), null);
  });

  it('refuses a known event with a missing or mistyped field, naming the field', () => {
    rejects('memberJoined', { ...member, memberId: 'three' }, /memberId/);
    rejects('memberJoined', { ...member, isHost: undefined }, /isHost/);
    rejects('mediaState', { memberId: 3, audio: 1, video: true }, /audio/);
    rejects('chat', { ...chat, from: null }, /from/);
    rejects('screenShare', null, /\(root\)/);
  });

  it('bounds what a server may send: long text, long lists, unsafe ids', () => {
    rejects('chat', { ...chat, text: 'x'.repeat(100_000) }, /text/);
    rejects('chat', { ...chat, mentions: Array.from({ length: 2000 }, () => 'bob') }, /mentions/);
    rejects('memberLeft', { ...samples.memberLeft, username: 'u'.repeat(1000) }, /username/);
    rejects('hostChanged', { memberId: 2 ** 60, userId: 1, username: 'a' }, /memberId/);
    rejects('memberJoined', { ...member, memberId: -1 }, /memberId/);
  });

  it('keeps a bounded error message whatever the payload held', () => {
    const key = 'k'.repeat(60_000);
    try {
      parseServerEvent('mediaState', { [key]: 1 });
      assert.fail('expected a DecodeError');
    } catch (error) {
      assert.ok(error instanceof DecodeError);
      assert.ok(error.message.length < 400, `${error.message.length} characters`);
    }
  });

  it('strips unknown keys and degrades values a newer server added instead of dropping the event', () => {
    const joined = parseServerEvent('memberJoined', {
      ...member,
      effect: 'sparkles',
      badge: 'vip',
    });
    assert.deepEqual(joined, { name: 'memberJoined', data: { ...member, effect: 'none' } });
    const left = parseServerEvent('memberLeft', { ...samples.memberLeft, reason: 'moved' });
    assert.equal(left?.name === 'memberLeft' && left.data.reason, 'disconnected');
    const kicked = parseServerEvent('kicked', { code: 'ERR_FROM_THE_FUTURE', message: 'bye' });
    assert.deepEqual(kicked, {
      name: 'kicked',
      data: { code: ErrorCode.INTERNAL, message: 'bye' },
    });
    for (const effect of FACE_EFFECTS) {
      assert.deepEqual(parseServerEvent('effectChanged', { memberId: 1, effect })?.data, {
        memberId: 1,
        effect,
      });
    }
  });
});
