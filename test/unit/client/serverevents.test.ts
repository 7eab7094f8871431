/** MeetingClient against a scripted server: what it does with the events the server sends. */
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../common/errors';
import type { FramedSocket } from '../../../common/FramedSocket';
import type { JoinResult, MemberInfo } from '../../../common/protocol';
import { MeetingClient } from '../../../client/MeetingClient';
import { waitFor } from '../../helpers/server';
import { FakeServer } from './fakeServer';

const self: MemberInfo = {
  memberId: 1,
  userId: 10,
  username: 'alice',
  isHost: true,
  audio: false,
  video: false,
  effect: 'none',
  screen: false,
  joinedAt: 1,
};
const bob: MemberInfo = { ...self, memberId: 2, userId: 20, username: 'bob', isHost: false };

const joined: JoinResult = {
  meeting: { id: 'm1', name: 'Standup', hasPassword: false, hostUserId: 10, createdAt: 1 },
  you: 1,
  members: [self],
  history: [],
  historyMore: false,
  options: { allowMultipleScreens: false },
};

describe('MeetingClient and server events', () => {
  let server: FakeServer;
  let client: MeetingClient;
  let link: FramedSocket;

  beforeEach(async () => {
    server = new FakeServer();
    server.answer = (r) => {
      if (r.type === 'login')
        return {
          data: {
            userId: 10,
            username: 'alice',
            memberId: 1,
            token: 't',
            serverTime: 0,
            effect: 'none',
          },
        };
      if (r.type === 'createMeeting') return { data: joined };
      return { data: {} };
    };
    client = new MeetingClient(await server.listen(), { media: false, plain: true });
    await client.connect();
    link = await server.link(0);
    await client.login('alice', 'password1');
    await client.createMeeting('Standup');
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('applies a valid event to the meeting state and announces it', async () => {
    const got = waitFor<[MemberInfo]>(client, 'memberJoined');
    server.event(link, 'memberJoined', bob);
    assert.deepEqual((await got)[0], bob);
    assert.deepEqual(
      client.members.map((m) => m.username),
      ['alice', 'bob'],
    );
  });

  it('drops a malformed event whole with a protocolError, and carries on', async () => {
    const error = waitFor<[{ code: string; message: string }]>(client, 'protocolError');
    let announced = 0;
    client.on('memberJoined', () => announced++);
    server.event(link, 'memberJoined', { ...bob, memberId: 'two' });
    const [e] = await error;
    assert.equal(e.code, ErrorCode.BAD_REQUEST);
    assert.match(e.message, /malformed memberJoined event: memberId/);
    assert.equal(announced, 0);
    assert.equal(client.members.length, 1);
    // The link stays up and the next event is applied.
    const next = waitFor(client, 'mediaState');
    server.event(link, 'mediaState', { memberId: 1, audio: true, video: true });
    await next;
    assert.equal(client.connected, true);
    assert.deepEqual([client.self?.audio, client.self?.video], [true, true]);
  });

  it('ignores an event it does not know, and reports a server protocolError as such', async () => {
    const errors: unknown[] = [];
    client.on('protocolError', (e) => errors.push(e));
    server.event(link, 'reactionAdded', { emoji: '+1' });
    const reported = waitFor(client, 'protocolError');
    server.event(link, 'protocolError', { code: ErrorCode.BAD_JSON, message: 'not JSON' });
    await reported;
    assert.deepEqual(errors, [{ code: ErrorCode.BAD_JSON, message: 'not JSON' }]);
    assert.equal(client.connected, true);
  });

  it('kicked: leaves the meeting and forgets the session, "left" before "kicked"', async () => {
    const order: string[] = [];
    client.on('left', () => order.push('left'));
    const kicked = waitFor(client, 'kicked');
    client.on('kicked', () => order.push('kicked'));
    server.event(link, 'kicked', { code: ErrorCode.LOGGED_IN_ELSEWHERE, message: 'elsewhere' });
    await kicked;
    assert.deepEqual(order, ['left', 'kicked']);
    assert.equal(client.meeting, null);
    assert.equal(client.session, null);
  });

  it("derives who blocks a screen share from the members' screen flags and the room options", async () => {
    const blocker = (): string | null => client.shareBlockedBy?.username ?? null;
    assert.equal(blocker(), null);
    server.event(link, 'memberJoined', bob);
    server.event(link, 'screenShare', { memberId: 2, active: true });
    await waitFor(client, 'screenShare');
    assert.equal(blocker(), 'bob');
    server.event(link, 'roomOptions', { allowMultipleScreens: true });
    await waitFor(client, 'roomOptions');
    assert.equal(blocker(), null);
    server.event(link, 'roomOptions', { allowMultipleScreens: false });
    server.event(link, 'screenShare', { memberId: 1, active: true });
    await waitFor(client, 'screenShare', (e: { memberId: number }) => e.memberId === 1);
    assert.equal(blocker(), null, 'not blocked while sharing oneself');
  });
});
