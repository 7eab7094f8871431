import assert from 'node:assert/strict';
import { FrameType } from '../../../common/constants';
import { ErrorCode } from '../../../common/errors';
import type { FramedSocket } from '../../../common/FramedSocket';
import { encodeFrame } from '../../../common/framing';
import type { MediaLinkKind } from '../../../common/links';
import type { ServerAddress } from '../../../client/connect';
import { MediaLinks } from '../../../client/MediaTransport';
import { sleep, waitFor } from '../../helpers/server';
import { FakeServer } from './fakeServer';

const media = (text: string, size = 0): Buffer =>
  encodeFrame(FrameType.MEDIA, Buffer.concat([Buffer.from(text), Buffer.alloc(size)]), 2 << 20);

describe('MediaTransport (MediaLinks)', () => {
  let server: FakeServer;
  let address: ServerAddress;
  let links: MediaLinks;

  beforeEach(async () => {
    server = new FakeServer();
    address = await server.listen();
    links = new MediaLinks();
  });
  afterEach(async () => {
    links.closeAll('test over');
    await server.close();
  });

  /** Opens a link of `kind`; resolves with the server's end of it. */
  async function open(kind: MediaLinkKind): Promise<FramedSocket> {
    const index = server.links.length;
    await links.open(address, { plain: true }, kind, 'token-1', 2000);
    return server.link(index);
  }

  it('attaches with the session token, then raises the frame limit to the kind of link', async () => {
    const far = await open('video');
    assert.deepEqual(server.requests[0], {
      id: 1,
      type: 'attach',
      data: { token: 'token-1', link: 'video' },
    });
    assert.equal(links.isOpen('video'), true);
    assert.equal(links.isOpen('audio'), false);
    // 200 KB: above the control link's limit, within the video link's.
    const got = waitFor<[Buffer, MediaLinkKind]>(links, 'frame');
    far.writeFrame(media('big', 200_000));
    const [frame, kind] = await got;
    assert.equal(kind, 'video');
    assert.equal(frame.length, 4 + 1 + 3 + 200_000);
  });

  it('rejects a refused attach and keeps no link', async () => {
    server.answer = () => ({ error: { code: ErrorCode.BAD_TOKEN, message: 'bad token' } });
    await assert.rejects(links.open(address, { plain: true }, 'audio', 'nope', 2000), {
      code: ErrorCode.BAD_TOKEN,
    });
    assert.equal(links.isOpen('audio'), false);
    assert.equal(links.send('audio', media('x')), false);
  });

  it('is the one door out: send() writes whole frames on the link of that kind', async () => {
    const audio = await open('audio');
    const video = await open('video');
    const atAudio = waitFor<[Buffer]>(audio, 'frame');
    const atVideo = waitFor<[Buffer]>(video, 'frame');
    assert.equal(links.send('audio', media('a')), true);
    assert.equal(links.send('video', media('v')), true);
    assert.deepEqual((await atAudio)[0], media('a'));
    assert.deepEqual((await atVideo)[0], media('v'));
    assert.equal(links.queuedBytes('audio'), 0);
  });

  it('keeps its listeners when a link is replaced; the old link is closed and no longer heard', async () => {
    const received: Array<[string, MediaLinkKind]> = [];
    const drains: MediaLinkKind[] = [];
    const closes: MediaLinkKind[] = [];
    links.on('frame', (f, kind) => received.push([f.subarray(5).toString(), kind]));
    links.on('drain', (kind) => drains.push(kind));
    links.on('close', (kind) => closes.push(kind));
    const first = await open('audio');
    const oldClosed = waitFor(first, 'close');
    const second = await open('audio');
    assert.deepEqual(drains, ['audio', 'audio'], 'a new link announces it can take frames');
    // The server still writes on the old link before it sees the close: that frame is not heard.
    first.writeFrame(media('old'));
    await oldClosed;
    second.writeFrame(media('new'));
    await waitFor(links, 'frame');
    assert.deepEqual(received, [['new', 'audio']]);
    assert.deepEqual(closes, [], 'a replaced link does not report a close');
    const atSecond = waitFor<[Buffer]>(second, 'frame');
    links.send('audio', media('out'));
    assert.deepEqual((await atSecond)[0], media('out'));
  });

  it("reports 'drain' for a backed-up link once it drains, and 'close' when the server drops it", async () => {
    const far = await open('video');
    far.socket.pause();
    const frame = media('v', 900_000);
    let writes = 0;
    while (links.send('video', frame)) if (++writes > 200) assert.fail('never backed up');
    assert.ok(links.queuedBytes('video') > 0);
    const drained = waitFor<[MediaLinkKind]>(links, 'drain');
    far.socket.resume();
    assert.deepEqual(await drained, ['video']);
    const closed = waitFor<[MediaLinkKind, string]>(links, 'close');
    far.destroy('server went away');
    assert.equal((await closed)[0], 'video');
    assert.equal(links.isOpen('video'), false);
    assert.equal(links.send('video', media('late')), false);
  });

  it('does not install a link that was still attaching when closeAll() ran', async () => {
    server.answer = () => null;
    const opening = links.open(address, { plain: true }, 'audio', 'token-1', 2000);
    const far = await server.link(0);
    while (server.requests.length === 0) await sleep(5);
    links.closeAll('logged out');
    far.sendControl({ id: server.requests[0]!.id, ok: true, data: {} });
    await opening;
    assert.equal(links.isOpen('audio'), false);
  });
});
