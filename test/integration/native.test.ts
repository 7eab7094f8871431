/**
 * Smoke test of every native module of the design card: each must load and do one real thing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDisplay } from '../helpers/xvfb';

const run = promisify(execFile);
const ARTIFACTS = path.join(__dirname, '..', '..', '..', 'artifacts');

describe('native modules', function () {
  this.timeout(60_000);

  it('NodeGui opens a real Qt window on plain Node, handles a click and renders it', async () => {
    const display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const png = path.join(ARTIFACTS, 'qt-smoke.png');
    fs.rmSync(png, { force: true });
    const started = Date.now();
    const { stdout } = await run(
      process.execPath,
      [path.join(__dirname, '..', 'fixtures', 'qt-smoke.js'), png],
      {
        env: { ...process.env, DISPLAY: display },
        timeout: 30_000,
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      saved: boolean;
      width: number;
      height: number;
      clicked: number;
      label: string;
      pixel: number[];
    };
    assert.equal(report.saved, true);
    assert.deepEqual([report.width, report.height], [320, 200]);
    assert.equal(report.clicked, 1, 'the click handler ran');
    assert.equal(report.label, 'clicked');
    assert.deepEqual(report.pixel, [20, 120, 200], 'the stylesheet colour was painted');
    assert.ok(fs.statSync(png).size > 500);
    console.log(
      `      Qt window up, clicked and grabbed in ${Date.now() - started} ms (screenshot: artifacts/qt-smoke.png)`,
    );
  });

  it('OpenCV encodes a frame to JPEG and decodes it back', async () => {
    // Through the project's loader, which points the binding at Debian's OpenCV.
    const { cv } = await import('../../client/media/native/opencv');
    const frame = new cv.Mat(480, 640, cv.CV_8UC3, [30, 160, 220]);
    frame.drawRectangle(
      new cv.Point2(100, 100),
      new cv.Point2(300, 300),
      new cv.Vec3(0, 0, 255),
      -1,
    );
    const jpeg = cv.imencode('.jpg', frame, [cv.IMWRITE_JPEG_QUALITY, 70]);
    assert.equal(jpeg[0], 0xff);
    assert.equal(jpeg[1], 0xd8, 'JPEG magic');
    const back = cv.imdecode(jpeg);
    assert.deepEqual([back.cols, back.rows], [640, 480]);
    const inside = back.at(200, 200) as unknown as { x: number; y: number; z: number };
    assert.ok(inside.z > 200 && inside.x < 50, 'the red square survived');
  });

  it('Opus encodes and decodes a 20 ms frame of 48 kHz audio', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');
    const codec = new OpusEncoder(48_000, 1);
    const pcm = Buffer.alloc(960 * 2);
    for (let i = 0; i < 960; i++)
      pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)), i * 2);
    const packet = codec.encode(pcm);
    assert.ok(packet.length > 3 && packet.length < 400);
    const decoded = codec.decode(packet);
    assert.equal(decoded.length, 960 * 2);
  });

  it('PortAudio lists its host APIs', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const portAudio = require('naudiodon') as {
      getHostAPIs(): { HostAPIs: Array<{ name: string }> };
    };
    const apis = portAudio.getHostAPIs().HostAPIs.map((a) => a.name);
    assert.ok(apis.includes('ALSA'), `host APIs: ${apis.join(', ')}`);
  });

  it('better-sqlite3 runs a query', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as new (file: string) => {
      prepare(sql: string): { get(): unknown };
      close(): void;
    };
    const db = new Sqlite(path.join(os.tmpdir(), `smoke-${process.pid}.sqlite3`));
    assert.deepEqual(db.prepare('select 6 * 7 as answer').get(), { answer: 42 });
    db.close();
  });
});
