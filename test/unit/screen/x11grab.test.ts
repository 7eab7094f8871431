import assert from 'node:assert/strict';
import path from 'node:path';
import { MediaError, MediaErrorCode } from '../../../client/media/errors';
import { createScreenGrabber } from '../../../client/media/screen/platforms';
import { X11Grabber } from '../../../client/media/screen/X11Grabber';
import {
  loadX11Grab,
  type X11GrabAddon,
  type X11Handle,
} from '../../../client/media/screen/x11grab';
import { ensureDisplay } from '../../helpers/xvfb';
import {
  BLUE,
  GREEN,
  PATTERN_A,
  RED,
  YELLOW,
  colourDistance,
  describeQuadrants,
  meanRgb,
  paintRoot,
  paintRootSolid,
  showsQuadrants,
  sleep,
  startXvfb,
  tempDir,
  writeQuadrantsPng,
} from './helpers';

describe('x11-grab addon', function () {
  this.timeout(60_000);
  let display: string;
  let addon: X11GrabAddon;
  /** Open for the whole suite: an X server resets (and forgets the root background) when its last client leaves. */
  let keeper: X11Handle;
  let screen: { width: number; height: number };
  const temp = tempDir();
  const handles: X11Handle[] = [];
  const open = (...args: Parameters<X11GrabAddon['open']>): X11Handle => {
    const handle = addon.open(...args);
    handles.push(handle);
    return handle;
  };

  before(async function () {
    display = await ensureDisplay();
    addon = loadX11Grab();
    keeper = addon.open(display);
    screen = addon.size(keeper);
    const file = path.join(temp.dir, 'a.png');
    writeQuadrantsPng(file, screen.width, screen.height, PATTERN_A);
    paintRoot(display, file);
  });

  afterEach(function () {
    for (const handle of handles.splice(0)) addon.close(handle);
  });

  after(function () {
    if (keeper) {
      // leave the shared test display as it was found: a black root
      paintRootSolid(display, [0, 0, 0]);
      addon.close(keeper);
    }
    temp.cleanup();
  });

  it('grabs the whole screen through MIT-SHM and the quadrants show the painted colours', function () {
    const handle = open(display);
    const info = addon.info(handle);
    assert.equal(info.display, display);
    assert.equal(info.shm, true, 'Xvfb offers MIT-SHM to a local client');
    assert.deepEqual({ width: info.width, height: info.height }, addon.size(handle));
    const { width, height, data } = addon.grab(handle);
    assert.deepEqual({ width, height }, screen);
    assert.equal(data.length, width * height * 4);
    assert.ok(
      showsQuadrants(data, width, height, 4, PATTERN_A, 0),
      `quadrants ${describeQuadrants(data, width, height, 4)}`,
    );
    // every alpha byte is 255
    for (let i = 3; i < data.length; i += 4 * 997) assert.equal(data[i], 255);
    // the borders between quadrants are where the pattern puts them
    const halfW = Math.floor(width / 2);
    const px = (x: number, y: number): number[] => [
      ...data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4),
    ];
    assert.deepEqual(px(halfW - 1, 0), [0, 0, 255, 255]);
    assert.deepEqual(px(halfW, 0), [0, 255, 0, 255]);
  });

  it('XGetImage (shm: false) gives the same pixels as MIT-SHM', function () {
    const shm = open(display);
    const plain = open(display, { shm: false });
    assert.equal(addon.info(plain).shm, false);
    assert.ok(addon.grab(shm).data.equals(addon.grab(plain).data));
  });

  it('grabs a rectangle, as BGRA or BGR, matching the full grab', function () {
    const handle = open(display);
    const full = addon.grab(handle).data;
    const rect = { x: 17, y: 9, width: screen.width - 40, height: 123 };
    const bgra = addon.grab(handle, null, rect);
    const bgr = addon.grab(handle, null, { ...rect, format: 'bgr' });
    assert.equal(bgra.width, rect.width);
    assert.equal(bgra.height, rect.height);
    assert.equal(bgr.data.length, rect.width * rect.height * 3);
    for (let y = 0; y < rect.height; y += 7) {
      for (let x = 0; x < rect.width; x += 13) {
        const f = ((rect.y + y) * screen.width + rect.x + x) * 4;
        const a = (y * rect.width + x) * 4;
        const b = (y * rect.width + x) * 3;
        assert.deepEqual([...bgra.data.subarray(a, a + 4)], [...full.subarray(f, f + 4)]);
        assert.deepEqual([...bgr.data.subarray(b, b + 3)], [...full.subarray(f, f + 3)]);
      }
    }
  });

  it('fills a caller buffer of the right size and allocates when the size is wrong', function () {
    const handle = open(display);
    const first = addon.grab(handle);
    const again = addon.grab(handle, first.data);
    assert.equal(again.data, first.data);
    const small = Buffer.alloc(10);
    const other = addon.grab(handle, small);
    assert.notEqual(other.data, small);
    assert.equal(other.data.length, screen.width * screen.height * 4);
  });

  it('sees a change of the screen in the next grab', function () {
    const handle = open(display);
    paintRootSolid(display, GREEN);
    try {
      const g = addon.grab(handle);
      assert.ok(colourDistance(meanRgb(g.data, g.width, 4, 100, 100), GREEN) === 0);
      paintRootSolid(display, BLUE);
      const b = addon.grab(handle);
      assert.ok(colourDistance(meanRgb(b.data, b.width, 4, 100, 100), BLUE) === 0);
    } finally {
      const file = path.join(temp.dir, 'a.png');
      paintRoot(display, file);
    }
  });

  it('rejects bad arguments with TypeError/RangeError and closed handles with Error', function () {
    const handle = open(display);
    assert.throws(() => addon.grab({} as X11Handle), TypeError);
    assert.throws(() => addon.grab(handle, 'x' as unknown as Buffer), TypeError);
    assert.throws(() => addon.grab(handle, null, { x: 1.5 }), TypeError);
    assert.throws(() => addon.grab(handle, null, { format: 'rgb' as 'bgr' }), TypeError);
    assert.throws(() => addon.grab(handle, null, { x: screen.width - 10, width: 20 }), {
      name: 'RangeError',
      message: new RegExp(`not inside the ${screen.width}x${screen.height} screen`),
    });
    assert.throws(() => addon.grab(handle, null, { y: -1 }), RangeError);
    assert.throws(() => addon.open(42 as unknown as string), TypeError);
    addon.close(handle);
    addon.close(handle); // idempotent
    assert.throws(() => addon.grab(handle), { message: /handle of display ".*" is closed/ });
  });

  it('fails with an Error naming a display that cannot be opened', function () {
    assert.throws(() => addon.open(':4242'), { message: 'cannot open X display ":4242"' });
    const saved = process.env.DISPLAY;
    delete process.env.DISPLAY;
    try {
      assert.throws(() => addon.open(), { message: /no display given and \$DISPLAY is not set/ });
    } finally {
      process.env.DISPLAY = saved;
    }
  });

  it('converts a 16-bit (RGB565) screen to 8-bit BGRA', async function () {
    const xvfb = await startXvfb(320, 240, 16);
    try {
      const file = path.join(temp.dir, 'small.png');
      writeQuadrantsPng(file, 320, 240, PATTERN_A);
      paintRoot(xvfb.display, file);
      for (const shm of [true, false]) {
        const handle = open(xvfb.display, { shm });
        const info = addon.info(handle);
        assert.equal(info.depth, 16);
        assert.equal(info.bitsPerPixel, 16);
        const { width, height, data } = addon.grab(handle);
        assert.ok(
          showsQuadrants(data, width, height, 4, [RED, GREEN, BLUE, YELLOW], 0),
          `quadrants ${describeQuadrants(data, width, height, 4)}`,
        );
        addon.close(handle);
      }
    } finally {
      await xvfb.kill();
    }
  });

  it('reports a lost connection as an Error instead of exiting the process', async function () {
    const xvfb = await startXvfb(320, 240, 24);
    const handle = open(xvfb.display);
    addon.grab(handle);
    await xvfb.kill();
    await sleep(100);
    assert.throws(() => addon.grab(handle), {
      message: `x11-grab: the connection to X display "${xvfb.display}" was lost`,
    });
    assert.throws(() => addon.size(handle), /was lost/);
    addon.close(handle);
  });

  describe('X11Grabber / createScreenGrabber', function () {
    it('grabs BGRA through the ScreenGrabber seam and closes for good', function () {
      const grabber = createScreenGrabber({ display });
      assert.equal(grabber.description, `X11 display ${display}`);
      assert.deepEqual(grabber.size(), screen);
      const image = grabber.grab();
      assert.ok(showsQuadrants(image.data, image.width, image.height, 4, PATTERN_A, 0));
      assert.equal(grabber.grab(image.data).data, image.data);
      grabber.close();
      grabber.close();
      assert.throws(
        () => grabber.grab(),
        (e: unknown) => e instanceof MediaError && e.code === MediaErrorCode.CLOSED,
      );
    });

    it('wraps an unopenable display in ERR_MEDIA_OPEN_FAILED naming it', function () {
      assert.throws(
        () => X11Grabber.open(':4242'),
        (e: unknown) =>
          e instanceof MediaError &&
          e.code === MediaErrorCode.OPEN_FAILED &&
          e.message === 'screen capture: cannot open X display ":4242"',
      );
      assert.throws(() => X11Grabber.open(''), TypeError);
    });

    it('says clearly that other platforms are not supported yet', function () {
      for (const platform of ['win32', 'darwin'] as const) {
        assert.throws(
          () => createScreenGrabber({ platform }),
          (e: unknown) =>
            e instanceof MediaError &&
            e.code === MediaErrorCode.OPEN_FAILED &&
            e.message === `screen capture is not supported on ${platform} yet`,
        );
      }
    });
  });
});
