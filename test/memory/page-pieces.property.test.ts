// Page pieces against a model of live pieces: random leases of sub-page sizes and frees never
// hand out overlapping bytes, keep their contents, stay inside one page each, lease exactly the
// pages that hold a live piece, and give every page back to the pool once nothing is leased.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_PIECE_BYTES, MIN_PIECE_BYTES, PagePieces } from '../../src/memory/page-pieces.ts';
import { PAGE_BYTES, type Slab, SlabPool } from '../../src/memory/slab-pool.ts';

interface Lease {
  slab: Slab;
  offset: number;
  size: number;
  mark: number;
}

function classBytes(size: number): number {
  let bytes = MIN_PIECE_BYTES;
  while (bytes < size) bytes *= 2;
  return bytes;
}

function check(pool: SlabPool, pieces: PagePieces, live: readonly Lease[]): void {
  const pages = new Map<Slab, Set<number>>();
  const bySlab = new Map<Slab, Lease[]>();
  for (const lease of live) {
    const page = lease.offset - (lease.offset % PAGE_BYTES);
    assert.ok(lease.offset + lease.size <= page + PAGE_BYTES, 'a piece straddles pages');
    assert.equal(lease.offset % 8, 0, 'a piece is 8-aligned');
    const set = pages.get(lease.slab) ?? new Set();
    set.add(page);
    pages.set(lease.slab, set);
    const list = bySlab.get(lease.slab) ?? [];
    list.push(lease);
    bySlab.set(lease.slab, list);
    const bytes = new Uint8Array(lease.slab.buffer, lease.offset, lease.size);
    assert.equal(bytes[0], lease.mark);
    assert.equal(bytes[lease.size - 1], lease.mark);
  }
  for (const list of bySlab.values()) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1]!;
      assert.ok(before.offset + classBytes(before.size) <= list[i]!.offset, 'overlap');
    }
  }
  let pageCount = 0;
  for (const set of pages.values()) pageCount += set.size;
  assert.equal(pieces.pieces, live.length);
  assert.equal(pieces.pages, pageCount, 'exactly the pages holding a live piece are leased');
  assert.equal(pool.snapshot().leasedBytes, pageCount * PAGE_BYTES);
}

const steps = fc.array(
  fc.oneof(
    fc.record({
      op: fc.constant('alloc' as const),
      size: fc.oneof(
        fc.constantFrom(256, 512, 1024, MAX_PIECE_BYTES),
        fc.integer({ min: 1, max: MAX_PIECE_BYTES / 8 }).map((n) => n * 8),
      ),
    }),
    fc.record({ op: fc.constant('free' as const), pick: fc.nat() }),
  ),
  { maxLength: 200 },
);

for (const backend of ['slabs', 'mapped', 'buffers'] as const) {
  test(`page pieces (${backend}): never overlap, keep their bytes, lease only pages in use`, (t) => {
    if (new SlabPool(backend).backend !== backend) {
      t.skip(`the ${backend} backend is not available here`);
      return;
    }
    fc.assert(
      fc.property(steps, (ops) => {
        const pool = new SlabPool(backend);
        const pieces = new PagePieces(pool);
        const live: Lease[] = [];
        let mark = 1;
        for (const step of ops) {
          if (step.op === 'alloc') {
            const slab = pieces.allocate(step.size);
            const lease = { slab, offset: pieces.offset, size: step.size, mark: mark++ & 0xff };
            new Uint8Array(slab.buffer, lease.offset, lease.size).fill(lease.mark);
            live.push(lease);
          } else if (live.length > 0) {
            const [lease] = live.splice(step.pick % live.length, 1);
            pieces.free(lease!.slab, lease!.offset, lease!.size);
          }
          check(pool, pieces, live);
        }
        for (const lease of live.splice(0)) pieces.free(lease.slab, lease.offset, lease.size);
        assert.equal(pieces.pages, 0);
        assert.equal(pool.snapshot().leasedBytes, 0, 'every page back in the pool');
      }),
      { numRuns: 150 },
    );
  });
}

test('page pieces: eight 512-byte chunks share one page; the page goes when the last one does', () => {
  const pool = new SlabPool('slabs');
  const pieces = new PagePieces(pool);
  const leases: [Slab, number][] = [];
  for (let i = 0; i < 8; i++) leases.push([pieces.allocate(512), pieces.offset]);
  assert.equal(pieces.pages, 1);
  assert.deepEqual(
    leases.map(([, offset]) => offset),
    [0, 512, 1024, 1536, 2048, 2560, 3072, 3584],
  );
  pieces.allocate(512); // a ninth needs a second page
  assert.equal(pieces.pages, 2);
  for (const [slab, offset] of leases.slice(0, 7)) pieces.free(slab, offset, 512);
  assert.equal(pieces.pages, 2);
  const [slab, offset] = leases[7]!;
  pieces.free(slab, offset, 512);
  assert.equal(pieces.pages, 1);
  assert.equal(pool.snapshot().leasedBytes, PAGE_BYTES);
});
