import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HillClimber } from '../../src/memory/hill-climber.ts';

const ENTRIES = 100;
const SAMPLE = 10 * 100; // requests per step at 100 entries (the floor is 64)

/** Feeds one sample whose hit ratio is `hitRatio(share)`. */
function sample(climber: HillClimber, hitRatio: (share: number) => number): void {
  const hits = Math.round(SAMPLE * hitRatio(climber.share));
  for (let i = 0; i < hits; i++) climber.hit();
  for (let i = 0; i < SAMPLE - hits; i++) climber.miss(ENTRIES);
}

test('starts at 10 % and stays within 1 % .. 80 %', () => {
  const climber = new HillClimber();
  assert.equal(climber.share, 0.1);
  // A hit ratio that always rises with the share: the climb goes up to the cap and stays.
  for (let i = 0; i < 200; i++) sample(climber, (share) => share);
  assert.equal(climber.share, 0.8);
  // One that always falls with it: down to the floor.
  const down = new HillClimber();
  for (let i = 0; i < 200; i++) sample(down, (share) => 1 - share);
  assert.equal(down.share, 0.01);
});

test('settles near the share with the best hit ratio', () => {
  const climber = new HillClimber();
  // Best at 40 %: a peak the climb must find from 10 % and then stay around.
  const peak = (share: number) => 0.9 - Math.abs(share - 0.4);
  for (let i = 0; i < 400; i++) sample(climber, peak);
  assert.ok(Math.abs(climber.share - 0.4) < 0.1, `share ${climber.share}`);
});
