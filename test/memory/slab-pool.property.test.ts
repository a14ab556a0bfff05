// The slab pool against a model of live leases: random allocations (slab-sized and dedicated)
// and frees never hand out overlapping bytes, never shrink a slab under a live range, keep
// their contents, and account leased and committed bytes exactly; freeing everything commits 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PAGE_BYTES, SLAB_BYTES, type Slab, SlabPool } from '../../src/memory/slab-pool.ts';

interface Lease {
  slab: Slab;
  offset: number;
  size: number;
  mark: number;
}

const pages = (size: number) => Math.ceil(size / PAGE_BYTES) * PAGE_BYTES;

function check(pool: SlabPool, live: readonly Lease[]): void {
  const bySlab = new Map<Slab, Lease[]>();
  for (const lease of live) {
    const list = bySlab.get(lease.slab) ?? [];
    list.push(lease);
    bySlab.set(lease.slab, list);
    // Every live range is inside the slab's committed bytes and still holds its mark.
    assert.ok(lease.offset + lease.size <= lease.slab.buffer.byteLength, 'range above the top');
    const bytes = new Uint8Array(lease.slab.buffer, lease.offset, lease.size);
    assert.equal(bytes[0], lease.mark);
    assert.equal(bytes[lease.size - 1], lease.mark);
  }
  for (const list of bySlab.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      assert.ok(list[i - 1]!.offset + pages(list[i - 1]!.size) <= list[i]!.offset, 'overlap');
    }
  }
  const snapshot = pool.snapshot();
  const leased = live.reduce((sum, lease) => sum + pages(lease.size), 0);
  assert.equal(snapshot.leasedBytes, leased);
  assert.equal(snapshot.chunks, live.length);
  assert.ok(snapshot.committedBytes >= leased);
  assert.equal(snapshot.retainedBytes, snapshot.committedBytes - leased);
}

const sizes = fc.oneof(
  fc.constantFrom(64, 4096, 8192, 16_384, 65_536, 1024 * 1024),
  fc
    .integer({ min: 8, max: SLAB_BYTES / 2 })
    .map((n) => (n * 8 > SLAB_BYTES ? 2 * 1024 * 1024 : n * 8)),
);
const steps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('alloc' as const), size: sizes }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
  ),
  { maxLength: 120 },
);

for (const backend of ['slabs', 'mapped'] as const) {
  test(`slab pool (${backend}): leases never overlap, keep their bytes, are accounted exactly`, (t) => {
    const pool0 = new SlabPool(backend);
    if (pool0.backend !== backend) {
      t.skip(`the ${backend} backend is not available here (native helper not built)`);
      return;
    }
    fc.assert(
      fc.property(steps, (ops) => {
        const pool = new SlabPool(backend);
        const live: Lease[] = [];
        let mark = 1;
        for (const step of ops) {
          if (step.op === 'alloc') {
            const slab = pool.allocate(step.size);
            const lease = { slab, offset: pool.offset, size: step.size, mark: mark++ & 0xff };
            new Uint8Array(slab.buffer, lease.offset, lease.size).fill(lease.mark);
            live.push(lease);
          } else if (live.length > 0) {
            const [lease] = live.splice(step.pick % live.length, 1);
            pool.free(lease!.slab, lease!.offset, lease!.size);
          }
          check(pool, live);
        }
        for (const lease of live.splice(0)) pool.free(lease.slab, lease.offset, lease.size);
        const end = pool.snapshot();
        assert.equal(end.leasedBytes, 0);
        assert.equal(end.committedBytes, 0, 'every page decommitted once nothing is leased');
      }),
      { numRuns: 150 },
    );
  });
}

test('slab pool: freeing the top range shrinks the slab, a hole is reused first', () => {
  const pool = new SlabPool('slabs');
  const a = pool.allocate(8192);
  const aAt = pool.offset;
  const b = pool.allocate(8192);
  const bAt = pool.offset;
  assert.equal(a, b);
  assert.equal(a.buffer.byteLength, 16_384);
  pool.free(a, aAt, 8192); // a hole below the top: committed, retained
  assert.equal(a.buffer.byteLength, 16_384);
  assert.equal(pool.snapshot().retainedBytes, 8192);
  const c = pool.allocate(4096); // first fit: into the hole
  assert.equal(c, a);
  assert.equal(pool.offset, aAt);
  pool.free(b, bAt, 8192); // the top: the slab shrinks to the end of the range below
  assert.equal(a.buffer.byteLength, 4096);
  pool.free(c, aAt, 4096);
  assert.equal(a.buffer.byteLength, 0);
  assert.equal(pool.snapshot().committedBytes, 0);
});
