// The s3fifo ghost queue against a model (a FIFO of the last `capacity` hashes added, each taken
// at most once): `take` answers as the model does, and the arrays appear only on the first add
// while their bytes are counted from the start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GhostQueue } from '../../src/memory/ghost-queue.ts';

test('a ghost queue remembers the last `capacity` hashes added, each taken once', () => {
  const opArb = fc.oneof(
    fc.record({ add: fc.integer({ min: -40, max: 40 }) }),
    fc.record({ take: fc.integer({ min: -40, max: 40 }) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(1, 2, 4, 16), fc.array(opArb, { maxLength: 300 }), (cap, ops) => {
      const ghost = new GhostQueue(cap);
      // The model: a ring of the last `cap` hashes added, and a multiset of the live ghosts. A
      // hash leaving the ring takes one occurrence of it out of the set (even one added again
      // later, as documented: a ghost may leave early); a hash of 0 shares its tag with 1.
      const tag = (h: number) => (h === 0 ? 1 : h);
      const ring: number[] = [];
      const live = new Map<number, number>();
      const drop = (h: number) => {
        const n = live.get(h) ?? 0;
        if (n > 0) live.set(h, n - 1);
        return n > 0;
      };
      for (const op of ops) {
        if ('add' in op) {
          ghost.add(op.add);
          ring.push(tag(op.add));
          live.set(tag(op.add), (live.get(tag(op.add)) ?? 0) + 1);
          if (ring.length > cap) drop(ring.shift()!);
        } else {
          assert.equal(ghost.take(op.take), drop(tag(op.take)), `take ${op.take}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('the arrays are allocated on the first add; their bytes are counted from construction', () => {
  const ghost = new GhostQueue(64);
  assert.equal(ghost.allocated, false);
  assert.equal(ghost.bytes, GhostQueue.bytesFor(64));
  assert.equal(ghost.take(5), false);
  const resized = ghost.resized(128);
  assert.equal(resized.allocated, false);
  assert.equal(resized.bytes, GhostQueue.bytesFor(128));
  ghost.add(5);
  assert.equal(ghost.allocated, true);
  assert.equal(ghost.bytes, GhostQueue.bytesFor(64));
  const grown = ghost.resized(128);
  assert.equal(grown.take(5), true);
  assert.equal(grown.take(5), false);
});
