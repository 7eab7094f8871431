import assert from 'node:assert/strict';
import path from 'node:path';
import { MediaError, MediaErrorCode } from '../../../client/media/errors';
import { VideoFrame } from '../../../client/media/frames';
import { SCREEN_DEFAULT_FPS, ScreenSource } from '../../../client/media/screen/ScreenSource';
import { fitInside, screenImageToBgr } from '../../../client/media/screen/convert';
import type { ScreenGrabber, ScreenImage } from '../../../client/media/screen/ScreenGrabber';
import { X11Grabber } from '../../../client/media/screen/X11Grabber';
import { ensureDisplay } from '../../helpers/xvfb';
import {
  GREEN,
  PATTERN_A,
  PATTERN_B,
  added,
  describeQuadrants,
  openSockets,
  paintRoot,
  paintRootSolid,
  showsQuadrants,
  sleep,
  startXvfb,
  sysvMappings,
  tempDir,
  writeQuadrantsPng,
} from './helpers';

function collect(source: ScreenSource): VideoFrame[] {
  const frames: VideoFrame[] = [];
  source.on('frame', (f) => frames.push(f));
  return frames;
}

/** Resolves with the first frame for which `test` holds, rejects after `timeoutMs`. */
function waitForFrame(
  source: ScreenSource,
  test: (frame: VideoFrame) => boolean,
  timeoutMs = 5000,
): Promise<VideoFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      source.off('frame', onFrame);
      reject(new Error(`no matching frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const onFrame = (frame: VideoFrame): void => {
      if (!test(frame)) return;
      clearTimeout(timer);
      source.off('frame', onFrame);
      resolve(frame);
    };
    source.on('frame', onFrame);
  });
}

/** A grabber that paints one flat BGRA colour, with a screen size that can change. */
class FakeGrabber implements ScreenGrabber {
  readonly description = 'fake screen';
  width = 800;
  height = 600;
  bgra: [number, number, number] = [0, 0, 255];
  failWith: Error | null = null;
  closed = 0;
  grabs = 0;
  size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }
  grab(): ScreenImage {
    if (this.closed) throw new Error('closed');
    if (this.failWith) throw this.failWith;
    this.grabs++;
    const data = Buffer.alloc(this.width * this.height * 4);
    for (let i = 0; i < data.length; i += 4) {
      data[i] = this.bgra[0];
      data[i + 1] = this.bgra[1];
      data[i + 2] = this.bgra[2];
      data[i + 3] = 255;
    }
    return { width: this.width, height: this.height, data };
  }
  close(): void {
    this.closed++;
  }
}

describe('ScreenSource', function () {
  this.timeout(60_000);
  let display: string;
  /** Open for the whole suite: an X server resets (and forgets the root background) when its last client leaves. */
  let keeper: X11Grabber;
  let screen: { width: number; height: number };
  const temp = tempDir();
  const fileA = path.join(temp.dir, 'a.png');
  const fileB = path.join(temp.dir, 'b.png');
  let sources: ScreenSource[] = [];
  const open = (...args: Parameters<typeof ScreenSource.open>): ScreenSource => {
    const s = ScreenSource.open(...args);
    sources.push(s);
    return s;
  };

  before(async function () {
    display = await ensureDisplay();
    keeper = X11Grabber.open(display);
    screen = keeper.size();
    writeQuadrantsPng(fileA, screen.width, screen.height, PATTERN_A);
    writeQuadrantsPng(fileB, screen.width, screen.height, PATTERN_B);
  });

  beforeEach(function () {
    paintRoot(display, fileA);
  });

  afterEach(function () {
    for (const s of sources) s.stop();
    sources = [];
  });

  after(function () {
    if (keeper) {
      paintRootSolid(display, [0, 0, 0]);
      keeper.close();
    }
    temp.cleanup();
  });

  it('defaults: 5 fps, kind screen, the screen fitted into 1280x720 keeping its aspect ratio', function () {
    const source = open({ display });
    assert.equal(SCREEN_DEFAULT_FPS, 5);
    assert.equal(source.fps, 5);
    assert.equal(source.kind, 'screen');
    assert.equal(source.description, `screen of X11 display ${display}`);
    assert.deepEqual(
      { width: source.width, height: source.height },
      fitInside(screen.width, screen.height, 1280, 720),
    );
    assert.equal(source.running, false);
    assert.equal(source.framesDelivered, 0);
    // the arithmetic of the default size
    assert.deepEqual(fitInside(1280, 800, 1280, 720), { width: 1152, height: 720 });
    assert.deepEqual(fitInside(1920, 1080, 1280, 720), { width: 1280, height: 720 });
    assert.deepEqual(fitInside(3440, 1440, 1280, 720), { width: 1280, height: 536 });
    assert.deepEqual(fitInside(1024, 600, 1280, 720), { width: 1024, height: 600 });
  });

  it('delivers frames of the configured size at ~5 fps that show the screen', async function () {
    const source = open({ display, width: 1280, height: 720 });
    const frames = collect(source);
    const t0 = performance.now();
    source.start();
    assert.equal(source.running, true);
    await sleep(2100);
    const elapsed = performance.now() - t0;
    source.stop();
    const expected = Math.floor((elapsed * 5) / 1000) + 1;
    assert.ok(
      Math.abs(frames.length - expected) <= 2,
      `${frames.length} frames in ${elapsed.toFixed(0)} ms, expected about ${expected}`,
    );
    frames.forEach((f, i) => {
      assert.equal(f.frameNumber, i);
      assert.equal(f.width, 1280);
      assert.equal(f.height, 720);
      assert.equal(f.data.length, 1280 * 720 * 3);
      assert.ok(
        showsQuadrants(f.data, f.width, f.height, 3, PATTERN_A),
        `frame ${i}: quadrants ${describeQuadrants(f.data, f.width, f.height, 3)}`,
      );
    });
    const gaps = frames.slice(1).map((f, i) => f.timestamp - frames[i].timestamp);
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(meanGap - 200) < 30, `mean gap ${meanGap.toFixed(1)} ms`);
    assert.equal(source.framesDelivered, frames.length);
  });

  it('shows a change of the screen in later frames', async function () {
    const source = open({ display });
    source.start();
    const before = await waitForFrame(source, () => true);
    assert.ok(
      showsQuadrants(before.data, before.width, before.height, 3, PATTERN_A),
      `quadrants ${describeQuadrants(before.data, before.width, before.height, 3)}`,
    );
    paintRoot(display, fileB);
    const changed = await waitForFrame(source, (f) =>
      showsQuadrants(f.data, f.width, f.height, 3, PATTERN_B),
    );
    assert.ok(changed.frameNumber > before.frameNumber);
    // every later frame keeps showing the new picture
    const later = await waitForFrame(source, (f) => f.frameNumber >= changed.frameNumber + 2);
    assert.ok(showsQuadrants(later.data, later.width, later.height, 3, PATTERN_B));
    // and a flat colour set by another client shows too
    paintRootSolid(display, GREEN);
    await waitForFrame(source, (f) =>
      showsQuadrants(f.data, f.width, f.height, 3, [GREEN, GREEN, GREEN, GREEN]),
    );
  });

  it('stop() ends delivery and releases the X connection and its shared memory', async function () {
    const socketsBefore = openSockets();
    const shmBefore = sysvMappings();
    const source = open({ display, fps: 10 });
    const ownSockets = added(socketsBefore, openSockets());
    const ownShm = added(shmBefore, sysvMappings());
    assert.ok(ownSockets.length >= 1, 'the source holds a connection to the X server');
    assert.ok(ownShm.length >= 1, 'the source maps a MIT-SHM segment');
    const frames = collect(source);
    source.start();
    await waitForFrame(source, () => true);
    source.stop();
    source.stop(); // idempotent
    assert.equal(source.running, false);
    const count = frames.length;
    await sleep(600);
    assert.ok(
      frames.length - count <= 1,
      'at most a frame already converting arrives after stop()',
    );
    const stillOpen = openSockets();
    const stillMapped = sysvMappings();
    assert.deepEqual(
      ownSockets.filter((s) => stillOpen.has(s)),
      [],
      'X connection closed',
    );
    assert.deepEqual(
      ownShm.filter((s) => stillMapped.has(s)),
      [],
      'shared memory detached',
    );
    assert.throws(
      () => source.start(),
      (e: unknown) => e instanceof MediaError && e.code === MediaErrorCode.CLOSED,
    );
  });

  it('frames() iterates frames and ends on stop()', async function () {
    const source = open({ display, width: 320 });
    assert.equal(source.height, Math.round((320 * screen.height) / screen.width / 2) * 2);
    let n = 0;
    for await (const frame of source.frames()) {
      assert.equal(frame.width, 320);
      if (++n === 3) break;
    }
    assert.equal(n, 3);
  });

  it('fails to open a display that does not exist with ERR_MEDIA_OPEN_FAILED naming it', function () {
    assert.throws(
      () => ScreenSource.open({ display: ':4242' }),
      (e: unknown) =>
        e instanceof MediaError &&
        e.code === MediaErrorCode.OPEN_FAILED &&
        /cannot open X display ":4242"/.test(e.message),
    );
  });

  it('rejects bad options before opening anything', function () {
    const grabber = new FakeGrabber();
    assert.throws(() => ScreenSource.open({ grabber, fps: 0 }), TypeError);
    assert.throws(() => ScreenSource.open({ grabber, fps: 31 }), TypeError);
    assert.throws(() => ScreenSource.open({ grabber, width: 8 }), TypeError);
    assert.throws(() => ScreenSource.open({ grabber, height: 1.5 }), TypeError);
    assert.equal(grabber.closed, 0);
  });

  it('keeps the output size when the screen changes size, and reports a failing grab as an error', async function () {
    const grabber = new FakeGrabber();
    const source = open({ grabber, fps: 20 });
    // 800x600 fits inside 1280x720: not enlarged
    assert.deepEqual({ width: source.width, height: source.height }, { width: 800, height: 600 });
    source.start();
    const first = await waitForFrame(source, () => true);
    assert.deepEqual([...first.data.subarray(0, 3)], [0, 0, 255]);
    grabber.width = 1024;
    grabber.height = 768;
    grabber.bgra = [255, 0, 0];
    const resized = await waitForFrame(source, (f) => f.data[0] === 255);
    assert.equal(resized.width, 800);
    assert.equal(resized.height, 600);
    const errors: Error[] = [];
    source.on('error', (e) => errors.push(e));
    grabber.failWith = new Error('the display went away');
    await sleep(300);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof MediaError && errors[0].code === MediaErrorCode.CAPTURE_FAILED);
    assert.equal(errors[0].message, 'screen of fake screen: the display went away');
    assert.equal(source.running, false);
    assert.equal(grabber.closed, 1);
  });

  it('reports a lost X server as ERR_MEDIA_CAPTURE_FAILED and stops', async function () {
    const xvfb = await startXvfb(640, 480, 24);
    try {
      const source = open({ display: xvfb.display, fps: 10 });
      source.start();
      await waitForFrame(source, () => true);
      const failed = new Promise<Error>((resolve) => source.once('error', resolve));
      await xvfb.kill();
      const error = await failed;
      assert.ok(error instanceof MediaError && error.code === MediaErrorCode.CAPTURE_FAILED);
      assert.match(error.message, /connection to X display ".*" was lost/);
      assert.equal(source.running, false);
    } finally {
      await xvfb.kill();
    }
  });

  it('measures grab + convert + resize per frame (screen size → 1280x720)', async function () {
    const grabber = X11Grabber.open(display);
    try {
      let reuse: Buffer | undefined;
      const grabMs: number[] = [];
      const totalMs: number[] = [];
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        const image = grabber.grab(reuse);
        reuse = image.data;
        const t1 = performance.now();
        const bgr = await screenImageToBgr(image, 1280, 720);
        const t2 = performance.now();
        assert.equal(bgr.length, 1280 * 720 * 3);
        if (i >= 5) {
          grabMs.push(t1 - t0);
          totalMs.push(t2 - t0);
        }
      }
      const median = (v: number[]): number =>
        [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      const summary =
        `${screen.width}x${screen.height} -> 1280x720 (MIT-SHM ${grabber.info().shm}): ` +
        `grab ${median(grabMs).toFixed(2)} ms, grab+convert+resize ${median(totalMs).toFixed(2)} ms (medians of 20)`;
      console.log(`      ${summary}`);
      assert.ok(median(totalMs) < 200, `too slow for 5 fps: ${summary}`);
    } finally {
      grabber.close();
    }
  });
});
