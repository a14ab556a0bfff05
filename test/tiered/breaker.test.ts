import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Breaker, type BreakerState } from '../../src/tiered/breaker.ts';

it('opens after consecutive failures, lets one probe through after the cool-down, and closes on success', () => {
  let now = 0;
  const changes: BreakerState[] = [];
  const breaker = new Breaker(
    { failureThreshold: 3, coolDownMs: 100 },
    () => now,
    (s) => changes.push(s),
  );
  breaker.failure(breaker.generation);
  breaker.failure(breaker.generation);
  breaker.success(breaker.generation); // a success resets the count: failures must be consecutive
  breaker.failure(breaker.generation);
  breaker.failure(breaker.generation);
  assert.equal(breaker.state, 'closed');
  breaker.failure(breaker.generation);
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.allow(), false);
  now = 99;
  assert.equal(breaker.allow(), false);
  now = 100;
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.allow(), true, 'the probe');
  assert.equal(breaker.allow(), false, 'only one probe at a time');
  breaker.failure(breaker.generation);
  assert.equal(breaker.state, 'open', 'a failed probe re-opens');
  now = 200;
  assert.equal(breaker.allow(), true);
  breaker.success(breaker.generation);
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.allow(), true);
  assert.deepEqual(changes, ['open', 'half-open', 'open', 'half-open', 'closed']);
});

it('ignores late results of calls sent before it changed state', () => {
  let now = 0;
  const breaker = new Breaker({ failureThreshold: 1, coolDownMs: 100 }, () => now);
  assert.equal(breaker.allow(), true);
  const early = breaker.generation; // a slow call sent while closed
  assert.equal(breaker.allow(), true);
  breaker.failure(breaker.generation); // another call fails: open
  assert.equal(breaker.state, 'open');
  breaker.success(early);
  assert.equal(breaker.state, 'open', 'a reply to a call sent before it opened does not close it');
  now = 100;
  assert.equal(breaker.allow(), true, 'the probe');
  const probe = breaker.generation;
  breaker.failure(early);
  assert.equal(breaker.state, 'half-open', "an old call's failure is not the probe's");
  breaker.success(probe);
  assert.equal(breaker.state, 'closed');
});
