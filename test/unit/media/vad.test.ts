import assert from 'node:assert/strict';
import { Vad, type VadResult } from '../../../client/media/codec/Vad';
import { ToneGenerator } from '../../../client/media/capture/ToneGenerator';

const FRAME = 960;

function run(vad: Vad, frames: number, make: () => Int16Array): VadResult[] {
  const out: VadResult[] = [];
  for (let i = 0; i < frames; i++) out.push(vad.process(make()));
  return out;
}

describe('Vad', function () {
  it('digital silence and faint noise are not speech', function () {
    const vad = new Vad();
    const silent = run(vad, 50, () => new Int16Array(FRAME));
    assert.ok(silent.every((r) => !r.speech && !r.talkStart));
    assert.equal(silent[0].level, -100);
    let seed = 1;
    const noise = (): Int16Array =>
      new Int16Array(FRAME).map(() => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return (seed % 21) - 10; // about -73 dBFS
      });
    assert.ok(run(vad, 100, noise).every((r) => !r.speech));
  });

  it('a 440 Hz tone at -20 dBFS is speech, with talkStart on its first frame only', function () {
    const vad = new Vad();
    run(vad, 25, () => new Int16Array(FRAME));
    const tone = new ToneGenerator({ frequency: 440, levelDbfs: -20 });
    const results = run(vad, 50, () => tone.next(FRAME));
    assert.ok(results.every((r) => r.speech));
    assert.deepEqual(
      results.map((r) => r.talkStart),
      results.map((_, i) => i === 0),
    );
    assert.ok(Math.abs(results[10].level - -23.01) < 0.1, `level ${results[10].level}`);
  });

  it('hangover keeps speech on for 300 ms after the tone stops, then ends it', function () {
    const vad = new Vad({ hangoverMs: 300 });
    const tone = new ToneGenerator({ frequency: 440, levelDbfs: -20 });
    run(vad, 20, () => tone.next(FRAME));
    const after = run(vad, 30, () => new Int16Array(FRAME));
    const speechFrames = after.findIndex((r) => !r.speech);
    assert.equal(speechFrames, 15, 'speech for 15 frames (300 ms) after the tone');
    assert.ok(after.slice(15).every((r) => !r.speech));
    // a pause shorter than the hangover does not start a new talk spurt
    const vad2 = new Vad();
    const pattern = [
      ...run(vad2, 10, () => tone.next(FRAME)),
      ...run(vad2, 5, () => new Int16Array(FRAME)),
      ...run(vad2, 10, () => tone.next(FRAME)),
    ];
    assert.equal(pattern.filter((r) => r.talkStart).length, 1);
    assert.ok(pattern.every((r) => r.speech));
  });

  it('adapts its noise floor to steady background noise', function () {
    const vad = new Vad();
    const hum = new ToneGenerator({ frequency: 100, levelDbfs: -40 });
    const results = run(vad, 500, () => hum.next(FRAME)); // 10 s of steady hum
    assert.ok(results[0].speech, 'a sudden hum first counts as sound');
    assert.ok(
      results.slice(-50).every((r) => !r.speech),
      'after a while the hum is background',
    );
    assert.ok(vad.noiseFloor > -50, `floor ${vad.noiseFloor}`);
    // speech well above the hum is still detected
    const voice = new ToneGenerator({ frequency: 440, levelDbfs: -15 });
    const mixed = (): Int16Array => {
      const a = hum.next(FRAME);
      const b = voice.next(FRAME);
      return a.map((v, i) => v + b[i]);
    };
    const talk = run(vad, 10, mixed);
    assert.ok(talk[0].talkStart && talk.every((r) => r.speech));
  });

  it('a steady tone at -20 dBFS stays speech however long it lasts', function () {
    const vad = new Vad();
    const tone = new ToneGenerator({ frequency: 440, levelDbfs: -20 });
    assert.ok(run(vad, 3000, () => tone.next(FRAME)).every((r) => r.speech)); // 60 s
  });

  it('reset() forgets the floor and the talk spurt', function () {
    const vad = new Vad();
    const tone = new ToneGenerator();
    run(vad, 5, () => tone.next(FRAME));
    vad.reset();
    assert.equal(vad.speech, false);
    assert.equal(vad.noiseFloor, -70);
    assert.equal(vad.process(tone.next(FRAME)).talkStart, true);
  });
});
