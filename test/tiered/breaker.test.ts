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
  breaker.failure();
  breaker.failure();
  breaker.success(); // a success resets the count: failures must be consecutive
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, 'closed');
  breaker.failure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.allow(), false);
  now = 99;
  assert.equal(breaker.allow(), false);
  now = 100;
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.allow(), true, 'the probe');
  assert.equal(breaker.allow(), false, 'only one probe at a time');
  breaker.failure();
  assert.equal(breaker.state, 'open', 'a failed probe re-opens');
  now = 200;
  assert.equal(breaker.allow(), true);
  breaker.success();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.allow(), true);
  assert.deepEqual(changes, ['open', 'half-open', 'open', 'half-open', 'closed']);
});
