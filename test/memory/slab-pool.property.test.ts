// The slab pool against a model of live leases: random allocations (slab-sized and dedicated)
// and frees never hand out overlapping bytes, never shrink a slab under a live range, keep
// their contents, and account leased and committed bytes exactly; freeing everything commits 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  PAGE_BYTES,
  RESERVE_BYTES,
  SLAB_BYTES,
  type Slab,
  SlabPool,
} from '../../src/memory/slab-pool.ts';

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
  assert.ok(snapshot.reserveBytes >= 0 && snapshot.reserveBytes <= snapshot.retainedBytes);
  assert.ok(snapshot.reserveBytes <= RESERVE_BYTES, 'reserve above its cap');
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

for (const [backend, reserve] of [
  ['slabs', RESERVE_BYTES],
  ['mapped', RESERVE_BYTES],
  ['mapped', 0],
] as const) {
  test(`slab pool (${backend}, reserve ${reserve}): leases never overlap, keep their bytes, are accounted exactly`, (t) => {
    const pool0 = new SlabPool(backend, undefined, reserve);
    if (pool0.backend !== backend) {
      t.skip(`the ${backend} backend is not available here (native helper not built)`);
      return;
    }
    fc.assert(
      fc.property(steps, (ops) => {
        const pool = new SlabPool(backend, undefined, reserve);
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
        // Mapped slabs discard every range given back; resizable ones keep holes below a top
        // that a reserve range may hold up, until the reserve is trimmed.
        if (backend === 'mapped') {
          assert.ok(pool.snapshot().committedBytes <= reserve, 'more than the reserve kept');
        }
        pool.trimReserve();
        const end = pool.snapshot();
        assert.equal(end.leasedBytes, 0);
        assert.equal(end.reserveBytes, 0);
        assert.equal(end.committedBytes, 0, 'every page decommitted once nothing is leased');
      }),
      { numRuns: 150 },
    );
  });
}

test('slab pool: freeing the top range shrinks the slab, a hole is reused first', () => {
  const pool = new SlabPool('slabs', undefined, 0);
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

test('slab pool: freed ranges stay resident up to the reserve cap and are leased first', () => {
  const pool = new SlabPool('slabs', undefined, 16_384);
  const a = pool.allocate(8192);
  const aAt = pool.offset;
  const b = pool.allocate(8192);
  const bAt = pool.offset;
  const c = pool.allocate(8192);
  const cAt = pool.offset;
  new Uint8Array(a.buffer, bAt, 8192).fill(7);
  pool.free(b, bAt, 8192); // into the reserve: still committed, not leased
  let s = pool.snapshot();
  assert.equal(s.leasedBytes, 16_384);
  assert.equal(s.reserveBytes, 8192);
  assert.equal(s.committedBytes, 24_576);
  assert.equal(s.retainedBytes, 8192);
  pool.free(c, cAt, 8192); // the reserve is full now, the slab keeps its top
  assert.equal(a.buffer.byteLength, 24_576);
  pool.free(a, aAt, 8192); // over the cap: the oldest (b) goes back, c and a stay
  s = pool.snapshot();
  assert.equal(s.leasedBytes, 0);
  assert.equal(s.reserveBytes, 16_384);
  assert.equal(s.committedBytes, 24_576); // b is a hole below c
  const d = pool.allocate(4096); // from the reserve, oldest range first: c's pages
  assert.equal(d, a);
  assert.equal(pool.offset, cAt);
  assert.equal(pool.snapshot().reserveBytes, 12_288);
  pool.free(d, cAt, 4096);
  pool.trimReserve();
  s = pool.snapshot();
  assert.equal(s.reserveBytes, 0);
  assert.equal(s.committedBytes, 0);
  assert.equal(a.buffer.byteLength, 0);
});

test('slab pool: an idle pool gives its reserve back by itself', async (t) => {
  const pool = new SlabPool('mapped');
  if (pool.backend !== 'mapped') {
    t.skip('the mapped backend is not available here (native helper not built)');
    return;
  }
  const slab = pool.allocate(65_536);
  pool.free(slab, pool.offset, 65_536);
  assert.equal(pool.snapshot().reserveBytes, 65_536);
  assert.equal(pool.snapshot().committedBytes, 65_536);
  // Wait (by polling, not by a fixed time) until the idle timer has run.
  for (let i = 0; i < 200 && pool.snapshot().reserveBytes > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.equal(pool.snapshot().reserveBytes, 0);
  assert.equal(pool.snapshot().committedBytes, 0);
  assert.ok(pool.snapshot().releasedBytes >= 65_536);
});

for (const backend of ['slabs', 'mapped'] as const) {
  test(`slab pool (${backend}): a busy pool keeps the part of its reserve the leases take, gives back the rest`, async (t) => {
    const pool = new SlabPool(backend);
    if (pool.backend !== backend) {
      t.skip(`the ${backend} backend is not available here (native helper not built)`);
      return;
    }
    const a = pool.allocate(65_536);
    const aAt = pool.offset;
    const b = pool.allocate(65_536);
    const bAt = pool.offset;
    pool.free(a, aAt, 65_536);
    pool.free(b, bAt, 65_536);
    assert.equal(pool.snapshot().reserveBytes, 131_072);
    // One chunk leased and freed again and again: only one range of the reserve is ever needed.
    // Polled until a tick of the reserve's timer has run (no fixed time).
    for (let i = 0; i < 400 && pool.snapshot().reserveBytes > 65_536; i++) {
      const slab = pool.allocate(65_536);
      const at = pool.offset;
      await new Promise((resolve) => setTimeout(resolve, 5));
      pool.free(slab, at, 65_536);
    }
    const s = pool.snapshot();
    assert.equal(s.reserveBytes, 65_536);
    assert.equal(s.leasedBytes, 0);
    // A resizable slab keeps a range given back below its top committed (a hole) until reused.
    if (backend === 'mapped') assert.equal(s.committedBytes, 65_536);
    else assert.ok(s.committedBytes <= 131_072);
    pool.trimReserve();
    assert.equal(pool.snapshot().committedBytes, 0);
  });
}
