/**
 * Render benchmark of the desktop client's video path: the real VideoGrid (React) and VideoRenderer
 * (Qt decode + scale + setPixmap) painting N remote 640x480 JPEG tiles at F fps for S seconds, fed
 * with synthetic test-pattern JPEGs encoded beforehand with OpenCV (so encoding is not measured).
 * Reports the process CPU while rendering and while idle (Qt pump only), and the cost per frame.
 *
 *   DISPLAY=:99 node dist/client/ui/bench-render.js [--tiles 4] [--fps 15] [--seconds 10] [--json]
 */
import { loadNodeGui, QT_PUMP_INTERVAL_MS, stopNodeGui } from './qt';
import { VideoRenderer } from './VideoRenderer';

interface BenchOptions {
  tiles: number;
  fps: number;
  seconds: number;
  idleSeconds: number;
  json: boolean;
}

export interface BenchResult {
  tiles: number;
  fps: number;
  seconds: number;
  /** Process CPU while rendering, % of one core. */
  renderCpuPercent: number;
  /** Process CPU with the window shown and nothing to render (Qt pump), % of one core. */
  idleCpuPercent: number;
  framesPushed: number;
  framesPainted: number;
  framesSkipped: number;
  meanPaintMs: number;
  /** Worst delay of a frame timer (event loop lag), ms. */
  maxLagMs: number;
  pumpIntervalMs: number;
  tileSize: string;
}

function parseArgs(argv: string[]): BenchOptions {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  return {
    tiles: get('tiles', 4),
    fps: get('fps', 15),
    seconds: get('seconds', 10),
    idleSeconds: get('idle-seconds', 5),
    json: argv.includes('--json'),
  };
}

function cpuPercent(since: NodeJS.CpuUsage, ms: number): number {
  const used = process.cpuUsage(since);
  return ((used.user + used.system) / 1000 / ms) * 100;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Encodes `count` distinct 640x480 test-pattern frames per tile. */
function makeJpegs(tiles: number, count: number): Buffer[][] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { cv } = require('../media/native/opencv') as typeof import('../media/native/opencv');
  const { TestPattern } =
    require('../media/capture/TestPattern') as typeof import('../media/capture/TestPattern');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const pattern = new TestPattern({ width: 640, height: 480 });
  const out: Buffer[][] = [];
  for (let t = 0; t < tiles; t++) {
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const bgr = pattern.render(i * 7 + t * 13, Date.now());
      const mat = new cv.Mat(bgr, 480, 640, cv.CV_8UC3);
      frames.push(cv.imencode('.jpg', mat, [cv.IMWRITE_JPEG_QUALITY, 70]));
    }
    out.push(frames);
  }
  return out;
}

export async function runRenderBench(options: BenchOptions): Promise<BenchResult> {
  const jpegs = makeJpegs(options.tiles, 45);
  // React's production build (its development build checks and warns on every render); set
  // NODE_ENV=development to get React's warnings.
  process.env.NODE_ENV ??= 'production';
  const qt = loadNodeGui();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const React = require('react') as typeof import('react');
  const { Renderer, Window } =
    require('@nodegui/react-nodegui') as typeof import('@nodegui/react-nodegui');
  const { VideoGrid } = require('./views/VideoGrid') as typeof import('./views/VideoGrid');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const renderer = new VideoRenderer(qt);
  const tiles = Array.from({ length: options.tiles }, (_, i) => ({
    memberId: i + 1,
    username: `member${i + 1}`,
    isHost: i === 0,
    audio: true,
    video: true,
    self: false,
  }));
  // The grid area of the meeting page at its default window size.
  Renderer.render(
    React.createElement(
      Window,
      { windowTitle: 'render bench', minSize: { width: 860, height: 640 } },
      React.createElement(VideoGrid, {
        tiles,
        viewMode: 'gallery',
        pinned: null,
        onPin: () => undefined,
        selfId: null,
        screens: [],
        activeSpeaker: 1,
        renderer,
        hasMedia: true,
      }),
    ),
  );
  await wait(1000);

  let pushed = 0;
  let maxLagMs = 0;
  const periodMs = 1000 / options.fps;
  const timers: NodeJS.Timeout[] = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let t = 0; t < options.tiles; t++) {
    let n = 0;
    const first = start + (t * periodMs) / options.tiles;
    const tick = (): void => {
      const due = first + n * periodMs;
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      renderer.push(t + 1, { format: 'jpeg', data: jpegs[t][n % jpegs[t].length] });
      pushed++;
      n++;
      timers[t] = setTimeout(tick, Math.max(0, first + n * periodMs - performance.now()));
    };
    timers[t] = setTimeout(tick, first - performance.now());
  }
  await wait(options.seconds * 1000);
  for (const timer of timers) clearTimeout(timer);
  const renderMs = performance.now() - start;
  const renderCpuPercent = cpuPercent(cpu0, renderMs);
  const stats = renderer.stats();
  const label = renderer.label(1);
  const tileSize = label ? `${label.width()}x${label.height()}` : '?';

  await wait(300);
  const idle0 = process.cpuUsage();
  const idleStart = performance.now();
  await wait(options.idleSeconds * 1000);
  const idleCpuPercent = cpuPercent(idle0, performance.now() - idleStart);
  stopNodeGui();
  return {
    tiles: options.tiles,
    fps: options.fps,
    seconds: options.seconds,
    renderCpuPercent: Math.round(renderCpuPercent * 10) / 10,
    idleCpuPercent: Math.round(idleCpuPercent * 10) / 10,
    framesPushed: pushed,
    framesPainted: stats.rendered,
    framesSkipped: stats.skipped,
    meanPaintMs: Math.round(stats.meanRenderMs * 100) / 100,
    maxLagMs: Math.round(maxLagMs * 10) / 10,
    pumpIntervalMs: QT_PUMP_INTERVAL_MS,
    tileSize,
  };
}

if (require.main === module) {
  const options = parseArgs(process.argv.slice(2));
  runRenderBench(options)
    .then((r) => {
      if (options.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        process.stdout.write(
          `${r.tiles} tiles of 640x480 JPEG at ${r.fps} fps for ${r.seconds} s (tiles ${r.tileSize}, Qt pump every ${r.pumpIntervalMs} ms):\n` +
            `  render CPU ${r.renderCpuPercent}% of one core, idle CPU ${r.idleCpuPercent}%\n` +
            `  ${r.framesPainted}/${r.framesPushed} frames painted (${r.framesSkipped} skipped), ${r.meanPaintMs} ms per frame (decode+scale+set), max timer lag ${r.maxLagMs} ms\n`,
        );
      }
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
}
