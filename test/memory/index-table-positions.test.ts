import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IndexTable, type PositionObserver } from '../../src/memory/index-table.ts';

/**
 * A policy that keeps per-entry state by index position relies on the table reporting every
 * move. This observer mirrors each slot's location at its position and checks, after every
 * operation, that the mirror still matches the table.
 */
class Mirror implements PositionObserver {
  readonly table: IndexTable;
  at: Int32Array;
  moves = 0;
  constructor(table: IndexTable) {
    this.table = table;
    this.at = new Int32Array(table.capacity);
  }
  rehashes = 0;
  moved(from: number, to: number): void {
    assert.equal(this.at[to >>> 1], 0, 'a slot moves only into an empty position');
    this.at[to >>> 1] = this.at[from >>> 1]!;
    this.at[from >>> 1] = 0;
    this.moves++;
  }
  rehashed(map: Int32Array): void {
    const next = new Int32Array(this.table.capacity);
    for (let i = 0; i < map.length; i++) if (map[i]! >= 0) next[map[i]! >>> 1] = this.at[i]!;
    this.at = next;
    this.rehashes++;
  }
}

type Op = { op: 'insert'; hash: number } | { op: 'remove'; pick: number } | { op: 'resize' };

test('the table reports every position change to its observer', () => {
  const totals = { moves: 0, rehashes: 0 };
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          // Few hash values: long probe runs, so removals shift slots back.
          {
            weight: 5,
            arbitrary: fc.record({
              op: fc.constant('insert' as const),
              hash: fc.integer({ min: -4, max: 4 }),
            }),
          },
          {
            weight: 3,
            arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
          },
          { weight: 1, arbitrary: fc.record({ op: fc.constant('resize' as const) }) },
        ),
        { minLength: 50, maxLength: 300, size: 'max' },
      ),
      (ops: Op[]) => {
        const table = new IndexTable(8);
        const mirror = new Mirror(table);
        table.observe(mirror);
        const live = new Map<number, number>(); // location -> hash
        let nextLocation = 1;
        for (const step of ops) {
          if (step.op === 'insert') {
            if (table.needsGrowth()) table.resize(table.capacity * 2);
            const location = nextLocation++;
            const p = table.insert(step.hash, location);
            mirror.at[p >>> 1] = location;
            live.set(location, step.hash);
          } else if (step.op === 'remove') {
            if (live.size === 0) continue;
            const location = [...live.keys()][step.pick % live.size]!;
            const p = table.positionOf(live.get(location)!, location);
            assert.ok(p >= 0);
            mirror.at[p >>> 1] = 0;
            table.removeAt(p);
            live.delete(location);
          } else {
            const capacity = Math.max(8, 2 ** Math.ceil(Math.log2((live.size + 1) * 2)));
            table.resize(capacity);
          }
          for (let p = 0; p < table.slots.length; p += 2) {
            assert.equal(mirror.at[p >>> 1], table.slots[p + 1], `position ${p}`);
          }
        }
        totals.moves += mirror.moves;
        totals.rehashes += mirror.rehashes;
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(totals.moves > 100, `${totals.moves} moves seen`);
  assert.ok(totals.rehashes > 50, `${totals.rehashes} rehashes seen`);
});
