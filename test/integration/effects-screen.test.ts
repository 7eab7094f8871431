/**
 * Face effects and screen sharing end to end: what the receiver decodes changes when the sender
 * toggles an effect mid-meeting, and a pattern painted on the (virtual) screen of the sender arrives
 * as the shared screen at the receiver.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { MediaSource } from '../../common/constants';
import type { MeetingClient } from '../../client/MeetingClient';
import type {
  MediaSession,
  MediaSessionOptions,
  RemoteVideoFrame,
} from '../../client/media/MediaSession';
import { decodeJpegBgr } from '../../client/media/codec/Jpeg';
import { cv } from '../../client/media/native/opencv';
import { X11Grabber } from '../../client/media/screen/X11Grabber';
import { ensureDisplay } from '../helpers/xvfb';
import { useMeetingPair, writeFaceClip } from '../helpers/media';
import { sleep, waitFor } from '../helpers/server';
import {
  PATTERN_A,
  colourDistance,
  paintRoot,
  quadrantColours,
  writeQuadrantsPng,
} from '../unit/screen/helpers';

/** Mean absolute difference of two same-size BGR pictures inside a rectangle. */
function meanDiff(
  a: Buffer,
  b: Buffer,
  width: number,
  rect: { x: number; y: number; w: number; h: number },
): number {
  let sum = 0;
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = (y * width + x) * 3;
      sum +=
        Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
      n += 3;
    }
  }
  return sum / n;
}

describe('face effects and screen sharing end to end', function () {
  this.timeout(60_000);
  const pair = useMeetingPair(['sender', 'viewer']);
  const session = (client: MeetingClient, options: MediaSessionOptions): MediaSession =>
    pair.session(client, options);

  it('toggling an effect mid-meeting changes what the receiver decodes, inside the face only', async () => {
    const sender = session(pair.a, { video: writeFaceClip(pair.tmp), fps: 10 });
    const receiver = session(pair.b, {});
    let latest: RemoteVideoFrame | null = null;
    receiver.on('video', (f) => (latest = { ...f, jpeg: Buffer.from(f.jpeg) }));
    await receiver.start();
    await sender.start();
    await sleep(1500);
    assert.ok(latest, 'video arrives');
    const before = decodeJpegBgr((latest as RemoteVideoFrame).jpeg);

    const told = waitFor(pair.b, 'effectChanged');
    await sender.setEffect('pixelate');
    await told;
    await sleep(1500);
    const after = decodeJpegBgr((latest as unknown as RemoteVideoFrame).jpeg);
    const stats = sender.stats();
    assert.equal(stats.effect, 'pixelate');
    const face = findFace(before.data);
    assert.ok(face, 'a face is found in the received picture');
    const inside = meanDiff(before.data, after.data, before.width, face);
    // Far from the face: the top-left corner of the picture (the face sits in the middle).
    const far = meanDiff(before.data, after.data, before.width, { x: 0, y: 0, w: 80, h: 80 });
    assert.ok(inside > 8, `the face region changed (mean difference ${inside.toFixed(2)})`);
    assert.ok(far < 1, `far from the face nothing changed (mean difference ${far.toFixed(2)})`);
    console.log(
      `      pixelate: face region changed by ${inside.toFixed(1)}, far region by ${far.toFixed(2)}; effect cost ${stats.effectMs.toFixed(1)} ms/frame`,
    );
  });

  it('shares a painted screen pattern that the receiver decodes as the screen source', async () => {
    const display = await ensureDisplay();
    // Xvfb resets the root window when its last client leaves: hold a connection for the test.
    const keeper = X11Grabber.open(display);
    try {
      const { width, height } = keeper.size();
      const png = path.join(pair.tmp, 'pattern.png');
      writeQuadrantsPng(png, width, height, PATTERN_A);
      paintRoot(display, png);
      const sender = session(pair.a, { screenDisplay: display });
      const receiver = session(pair.b, {});
      const screens: RemoteVideoFrame[] = [];
      receiver.on('video', (f) => {
        if (f.source === MediaSource.SCREEN) screens.push({ ...f, jpeg: Buffer.from(f.jpeg) });
      });
      await receiver.start();
      await sender.start();
      const told = waitFor(pair.b, 'screenShare', (e: { active: boolean }) => e.active);
      await sender.startScreenShare();
      await told;
      await sleep(1500);
      assert.ok(screens.length >= 4, `received ${screens.length} screen frames in 1.5 s at 5 fps`);
      const last = decodeJpegBgr(screens[screens.length - 1]!.jpeg);
      const colours = quadrantColours(last.data, last.width, last.height, 3);
      colours.forEach((c, i) =>
        assert.ok(
          colourDistance(c, PATTERN_A[i]!) < 40,
          `quadrant ${i}: ${c.map(Math.round).join(',')}`,
        ),
      );
      assert.equal(pair.b.members.find((m) => m.username === 'sender')?.screen, true);
      await sender.stopScreenShare();
      const count = screens.length;
      await sleep(600);
      assert.ok(screens.length <= count + 1, 'screen frames stop after the share ends');
    } finally {
      keeper.close();
    }
  });
});

/** The largest face the project's tracker finds in a 640x480 BGR picture, as a rectangle. */
function findFace(bgr: Buffer): { x: number; y: number; w: number; h: number } | null {
  const classifier = new cv.CascadeClassifier(cv.HAAR_FRONTALFACE_ALT2);
  const grey = new cv.Mat(bgr, 480, 640, cv.CV_8UC3).bgrToGray();
  const { objects } = classifier.detectMultiScale(grey, 1.1, 3);
  const best = objects.sort((p, q) => q.width * q.height - p.width * p.height)[0];
  return best ? { x: best.x, y: best.y, w: best.width, h: best.height } : null;
}
