import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { VideoFrame } from '../../../client/media/frames';
import { cv } from '../../../client/media/native/opencv';
import { readPatternStamp } from '../../../client/media/capture/TestPattern';
import { VideoSource } from '../../../client/media/capture/VideoSource';
import { makeTempDir, sleep } from './helpers';

const MEGAMIND = '/usr/share/doc/opencv-doc/examples/data/Megamind.avi';

/** Paths this process has open that contain `needle` (from /proc/self/fd). */
function openFiles(needle: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes(needle)) out.push(target);
    } catch {
      // the fd closed meanwhile
    }
  }
  return out;
}

function collect(source: VideoSource): VideoFrame[] {
  const frames: VideoFrame[] = [];
  source.on('frame', (f) => frames.push(f));
  return frames;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('VideoSource', function () {
  let sources: VideoSource[] = [];
  afterEach(function () {
    for (const s of sources) s.stop();
    sources = [];
  });
  const open = (...args: Parameters<typeof VideoSource.open>): VideoSource => {
    const s = VideoSource.open(...args);
    sources.push(s);
    return s;
  };

  before(function () {
    assert.ok(
      fs.existsSync(MEGAMIND),
      `${MEGAMIND} is missing: install Debian's opencv-doc package`,
    );
  });

  it("'testpattern' delivers increasing, stamped frame numbers at 15 fps; stop() ends delivery", async function () {
    const source = open('testpattern', { fps: 15 });
    const frames = collect(source);
    const t0 = performance.now();
    source.start();
    await sleep(1000);
    const elapsed = performance.now() - t0;
    source.stop();
    const expected = Math.floor((elapsed * 15) / 1000) + 1;
    assert.ok(
      Math.abs(frames.length - expected) <= 2,
      `${frames.length} frames in ${elapsed.toFixed(0)} ms`,
    );
    frames.forEach((f, i) => {
      assert.equal(f.frameNumber, i);
      assert.equal(f.width, 640);
      assert.equal(f.height, 480);
      assert.deepEqual(readPatternStamp(f.data, f.width, f.height), {
        frameNumber: i,
        timestamp: f.timestamp,
      });
    });
    const gaps = frames.slice(1).map((f, i) => f.timestamp - frames[i].timestamp);
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(meanGap - 1000 / 15) < 5, `mean interval ${meanGap.toFixed(1)} ms`);
    const n = frames.length;
    await sleep(300);
    assert.equal(frames.length, n, 'no frame after stop()');
    assert.equal(source.running, false);
  });

  it('the async iterator yields frames and a break leaves the source running', async function () {
    const source = open('testpattern', { width: 320, height: 240, fps: 30 });
    const numbers: number[] = [];
    for await (const frame of source.frames()) {
      numbers.push(frame.frameNumber);
      if (numbers.length === 5) break;
    }
    assert.deepEqual(numbers, [0, 1, 2, 3, 4]);
    assert.equal(source.running, true);
    assert.equal(source.listenerCount('frame'), 0, 'the iterator unsubscribed');
  });

  it('Megamind.avi delivers frames resized to the configured size, and stop() closes the file', async function () {
    const source = open(MEGAMIND, { width: 320, height: 240, fps: 30 });
    assert.equal(openFiles('Megamind.avi').length, 1, 'the capture holds the file open');
    const frames = collect(source);
    source.start();
    await sleep(500);
    source.stop();
    await sleep(100); // a read in flight releases the capture when it settles
    assert.ok(frames.length >= 10, `${frames.length} frames`);
    for (const f of frames) {
      assert.equal(f.width, 320);
      assert.equal(f.height, 240);
      assert.equal(f.data.length, 320 * 240 * 3);
    }
    // real picture content (the clip fades in from a black first frame): varied pixels, and it moves
    const late = frames[frames.length - 1].data;
    assert.ok(new Set(late).size > 50, `${new Set(late).size} distinct byte values`);
    assert.ok(meanAbsDiff(frames[frames.length - 5].data, late) > 1);
    assert.deepEqual(openFiles('Megamind.avi'), [], 'the file is closed after stop()');
  });

  it('a file source starts again at its end (loop)', async function () {
    // a 12-frame clip cut from Megamind, so the loop comes quickly
    const tmp = makeTempDir('video');
    try {
      const clip = path.join(tmp.dir, 'clip.avi');
      const reader = new cv.VideoCapture(MEGAMIND);
      const writer = new cv.VideoWriter(
        clip,
        cv.VideoWriter.fourcc('MJPG'),
        24,
        new cv.Size(360, 264),
      );
      for (let i = 0; i < 12; i++) writer.write(reader.read().resize(264, 360));
      writer.release();
      reader.release();
      const source = open(clip, { width: 360, height: 264, fps: 30 });
      const frames: VideoFrame[] = [];
      for await (const frame of source.frames(64)) {
        frames.push(frame);
        if (frames.length === 30) break;
      }
      source.stop();
      assert.ok(source.loops >= 2, `looped ${source.loops} times`);
      // the frame after the loop is the first one again, not a frozen last frame
      assert.ok(meanAbsDiff(frames[3].data, frames[15].data) < 0.5, 'frame 15 repeats frame 3');
      assert.ok(meanAbsDiff(frames[3].data, frames[27].data) < 0.5, 'frame 27 repeats frame 3');
      assert.ok(
        meanAbsDiff(frames[11].data, frames[12].data) > 1,
        'frame 12 is not a frozen frame 11',
      );
      assert.deepEqual(
        frames.map((f) => f.frameNumber),
        [...Array(30).keys()],
      );
    } finally {
      tmp.cleanup();
    }
  });

  it('fails clearly for a missing file, a non-video file, and a camera that is not there', function () {
    assert.throws(() => VideoSource.open('/nonexistent/video.avi'), {
      code: 'ERR_MEDIA_OPEN_FAILED',
      message: /does not exist/,
    });
    const tmp = makeTempDir('video');
    try {
      const text = path.join(tmp.dir, 'text.avi');
      fs.writeFileSync(text, 'not a video');
      assert.throws(() => VideoSource.open(text), { code: 'ERR_MEDIA_OPEN_FAILED' });
    } finally {
      tmp.cleanup();
    }
    assert.throws(() => VideoSource.open(97), {
      code: 'ERR_MEDIA_OPEN_FAILED',
      message: /camera 97/,
    });
    assert.throws(() => VideoSource.open('testpattern', { fps: 0 }), TypeError);
    assert.throws(() => VideoSource.open('testpattern', { fps: 60 }), TypeError);
    assert.throws(() => VideoSource.open(-1), TypeError);
  });
});
