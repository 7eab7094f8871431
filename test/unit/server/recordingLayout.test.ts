import assert from 'node:assert/strict';
import { fit, layout } from '../../../server/recording/compositor/Layout';
import { segmentFileName } from '../../../server/recording/compositor/protocol';

describe('recording layout', () => {
  it('grids 1, 2, 4 and 5 members over the frame without overlap', () => {
    assert.deepEqual(layout(1, 1280, 720, false).tiles, [{ x: 0, y: 0, w: 1280, h: 720 }]);
    assert.deepEqual(layout(2, 1280, 720, false).tiles, [
      { x: 0, y: 0, w: 640, h: 720 },
      { x: 640, y: 0, w: 640, h: 720 },
    ]);
    const four = layout(4, 1280, 720, false).tiles;
    assert.deepEqual(four[3], { x: 640, y: 360, w: 640, h: 360 });
    const five = layout(5, 1280, 720, false).tiles;
    assert.equal(five.length, 5);
    for (const t of five) assert.ok(t.x + t.w <= 1280 && t.y + t.h <= 720);
  });

  it('puts a shared screen large on the left and the cameras in a column', () => {
    const plan = layout(2, 1280, 720, true);
    assert.ok(plan.screen && plan.screen.w > 0.7 * 1280);
    for (const t of plan.tiles) assert.ok(t.x >= (plan.screen?.w ?? 0));
  });

  it('fits a picture keeping its aspect, centred', () => {
    assert.deepEqual(fit({ x: 0, y: 0, w: 640, h: 720 }, 640, 480), {
      x: 0,
      y: 120,
      w: 640,
      h: 480,
    });
    assert.deepEqual(fit({ x: 0, y: 0, w: 1280, h: 720 }, 640, 480), {
      x: 160,
      y: 0,
      w: 960,
      h: 720,
    });
  });

  it('names segment files in order', () => {
    assert.equal(segmentFileName(3), 'segment-0003.mkv');
  });
});
