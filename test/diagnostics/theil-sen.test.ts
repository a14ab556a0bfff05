import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { theilSenSlope } from 'tiercache/diagnostics';

test('the slope of points on a line is the line slope', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1000, max: 1000 }),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.integer({ min: 2, max: 40 }),
      (slope, intercept, n) => {
        const xs = Array.from({ length: n }, (_, i) => i * 10);
        const ys = xs.map((x) => intercept + slope * x);
        assert.equal(theilSenSlope(xs, ys), slope);
      },
    ),
  );
});

test('a minority of wild outliers does not move the slope', () => {
  const xs = Array.from({ length: 30 }, (_, i) => i);
  const ys = xs.map((x) => 3 * x);
  for (const i of [4, 11, 19, 26]) ys[i] = i % 2 === 0 ? 1e9 : -1e9;
  assert.equal(theilSenSlope(xs, ys), 3);
});

test('fewer than two distinct x values give 0', () => {
  assert.equal(theilSenSlope([], []), 0);
  assert.equal(theilSenSlope([5], [1]), 0);
  assert.equal(theilSenSlope([5, 5], [1, 9]), 0);
});
