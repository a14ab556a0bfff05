import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountRss, collectMemstats, parseSmaps, type RssInputs } from 'tiercache/diagnostics';
import { MemoryStore } from 'tiercache/memory';

const MiB = 1024 * 1024;

function inputs(overrides: Partial<RssInputs> = {}): RssInputs {
  return {
    memory: {
      rss: 200 * MiB,
      heapTotal: 60 * MiB,
      heapUsed: 40 * MiB,
      external: 70 * MiB,
      arrayBuffers: 66 * MiB,
    },
    heapSpaces: [
      { name: 'new_space', physicalBytes: 16 * MiB },
      { name: 'old_space', physicalBytes: 40 * MiB },
      { name: 'large_object_space', physicalBytes: 4 * MiB },
    ],
    mallocedBytes: 1 * MiB,
    sites: [
      {
        site: 'createOwnCache (service/cache/profile-cache.ts:92:17)',
        stores: 8,
        entries: 0,
        usedBytes: 0,
        reservedBytes: 64 * MiB,
      },
    ],
    allocator: undefined,
    status: { rss: 200 * MiB, anon: 150 * MiB, file: 50 * MiB, shmem: 0 },
    smaps: { v8PagesBytes: 66 * MiB, mallocHeapBytes: 20 * MiB, otherAnonBytes: 70 * MiB },
    ...overrides,
  };
}

const sum = (slices: { bytes: number }[]) => slices.reduce((s, x) => s + x.bytes, 0);

test('the slices add up to RSS, and the derived remainder is never counted as named', () => {
  const account = accountRss(inputs());
  assert.equal(sum(account.slices), account.rssBytes);
  const bytes = Object.fromEntries(account.slices.map((s) => [s.key, s.bytes]));
  assert.equal(bytes.file, 50 * MiB);
  assert.equal(bytes.jsHeap, 60 * MiB);
  assert.equal(bytes.v8PagePool, 10 * MiB, 'V8 pages beyond the paged spaces (66 - 56)');
  assert.equal(bytes.stores, 64 * MiB);
  assert.equal(bytes.otherBuffers, 2 * MiB);
  assert.equal(bytes.otherExternal, 4 * MiB);
  assert.equal(bytes.v8Malloced, 1 * MiB);
  const derived = account.slices.filter((s) => s.kind === 'derived');
  assert.deepEqual(
    derived.map((s) => s.key),
    ['unattributed'],
  );
  assert.equal(derived[0]!.bytes, 9 * MiB);
  assert.match(derived[0]!.label, /derived/);
  assert.equal(account.namedBytes, 191 * MiB);
  assert.equal(account.namedShare, 191 / 200);
  const stores = account.slices.find((s) => s.key === 'stores')!;
  assert.match(
    stores.parts![0]!.label,
    /^createOwnCache \(service\/cache\/profile-cache\.ts:92:17\) \(8 stores\)$/,
  );
});

test('allocator-retained counts as named only when the allocator measures it', () => {
  const allocator = {
    name: 'glibc',
    version: '2.36',
    poolRetainedBytes: 2 * MiB,
    retainedBytes: 6 * MiB,
    inUseBytes: undefined,
    mallocMmappedBytes: undefined,
    chunksInArrayBuffers: true,
    mappedSlabBytes: 0,
  };
  const account = accountRss(inputs({ allocator }));
  assert.equal(sum(account.slices), account.rssBytes);
  const retained = account.slices.find((s) => s.key === 'allocatorRetained')!;
  assert.equal(retained.kind, 'named');
  assert.equal(retained.bytes, 6 * MiB);
  assert.equal(account.slices.find((s) => s.key === 'chunkPool')?.bytes, 2 * MiB);
  assert.equal(
    account.slices.find((s) => s.key === 'otherBuffers'),
    undefined,
    'the pool is not counted twice',
  );
  assert.equal(account.namedBytes, 197 * MiB);
  // With malloc's in-use figure, what native code holds is named too (beyond Buffers and V8's).
  const withMalloc = accountRss(inputs({ allocator: { ...allocator, inUseBytes: 74 * MiB } }));
  assert.equal(withMalloc.slices.find((s) => s.key === 'nativeMalloc')?.bytes, 3 * MiB);
  const unmeasured = accountRss(inputs({ allocator: { ...allocator, retainedBytes: undefined } }));
  assert.equal(
    unmeasured.slices.find((s) => s.key === 'allocatorRetained'),
    undefined,
  );
  assert.equal(unmeasured.namedBytes, 191 * MiB);
});

test('named slices larger than RSS (reserved but untouched pages) cap the share at 100 %', () => {
  const account = accountRss(
    inputs({ status: { rss: 150 * MiB, anon: 100 * MiB, file: 50 * MiB, shmem: 0 } }),
  );
  assert.equal(account.namedShare, 1);
  assert.equal(
    account.slices.find((s) => s.key === 'unattributed'),
    undefined,
  );
});

test('parseSmaps finds V8 pages (256 KiB, aligned) and the malloc heaps', () => {
  const text = [
    '00400000-00b6f000 r--p 00000000 fe:01 123 /usr/bin/node',
    'Rss:                6832 kB',
    '2a08e000-2a594000 rw-p 00000000 00:00 0                                  [heap]',
    'Rss:                4740 kB',
    '7f7e64000000-7f7e646f7000 rw-p 00000000 00:00 0 ',
    'Rss:                5468 kB',
    '7f7e646f7000-7f7e68000000 ---p 00000000 00:00 0 ',
    'Rss:                   0 kB',
    'fa139600000-fa139640000 rw-p 00000000 00:00 0 ',
    'Rss:                 256 kB',
    'fa139640000-fa139680000 rw-p 00000000 00:00 0 ',
    'Rss:                 128 kB',
    '7f7e90677000-7f7e906b8000 rw-p 00000000 00:00 0 ',
    'Rss:                 260 kB',
  ].join('\n');
  assert.deepEqual(parseSmaps(text), {
    v8PagesBytes: 384 * 1024,
    mallocHeapBytes: (4740 + 5468) * 1024,
    otherAnonBytes: 260 * 1024,
  });
});

test('stores in slabs count as the resident part of what they reserve', () => {
  const account = accountRss(
    inputs({
      memory: {
        rss: 300 * MiB,
        heapTotal: 60 * MiB,
        heapUsed: 40 * MiB,
        external: 5 * MiB,
        arrayBuffers: 1 * MiB,
      },
      status: { rss: 300 * MiB, anon: 250 * MiB, file: 50 * MiB, shmem: 0 },
      sites: [
        {
          site: 'createOwnCache (service/cache/profile-cache.ts:92:17)',
          stores: 64,
          entries: 0,
          usedBytes: 0,
          reservedBytes: 512 * MiB,
        },
      ],
      allocator: {
        name: 'glibc',
        version: '2.36',
        poolRetainedBytes: 0,
        retainedBytes: undefined,
        inUseBytes: undefined,
        mallocMmappedBytes: undefined,
        chunksInArrayBuffers: false,
        mappedSlabBytes: 0,
      },
      // 104 MiB of other anonymous memory, 4 MiB of it large-object pages: 100 MiB of slab pages.
      smaps: { v8PagesBytes: 60 * MiB, mallocHeapBytes: 20 * MiB, otherAnonBytes: 104 * MiB },
    }),
  );
  const stores = account.slices.find((s) => s.key === 'stores')!;
  assert.equal(stores.bytes, 100 * MiB);
  assert.match(stores.label, /resident part/);
  assert.equal(account.slices.find((s) => s.key === 'otherBuffers')?.bytes, 1 * MiB);
  assert.equal(account.overcountBytes, 0);
});

test('mapped slabs count as the stores they hold, not as other external memory', () => {
  // 128 stores of 8 MiB leased from 257 mmapped 4 MiB slabs (V8 counts all 1028 MiB in
  // `external`), 60 MiB of their pages written; 2 more slabs dropped by the pool but not yet
  // collected; malloc holds 12 MiB, 1 MiB of it in its own mmapped blocks.
  const account = accountRss(
    inputs({
      memory: {
        rss: 300 * MiB,
        heapTotal: 100 * MiB,
        heapUsed: 90 * MiB,
        external: 1028 * MiB + 8 * MiB + 2 * MiB + 5 * MiB,
        arrayBuffers: 2 * MiB,
      },
      heapSpaces: [{ name: 'old_space', physicalBytes: 100 * MiB }],
      status: { rss: 300 * MiB, anon: 250 * MiB, file: 50 * MiB, shmem: 0 },
      sites: [
        {
          site: 'createOwnCache (service/cache/profile-cache.ts:92:17)',
          stores: 128,
          entries: 0,
          usedBytes: 0,
          reservedBytes: 1024 * MiB,
        },
      ],
      allocator: {
        name: 'glibc',
        version: '2.36',
        poolRetainedBytes: 0,
        retainedBytes: 6 * MiB,
        inUseBytes: 12 * MiB,
        mallocMmappedBytes: 1 * MiB,
        chunksInArrayBuffers: false,
        mappedSlabBytes: 257 * 4 * MiB,
      },
      // 61 MiB of other anonymous memory: 60 MiB of slab pages and malloc's 1 MiB block.
      smaps: { v8PagesBytes: 110 * MiB, mallocHeapBytes: 17 * MiB, otherAnonBytes: 61 * MiB },
    }),
  );
  const bytes = Object.fromEntries(account.slices.map((s) => [s.key, s.bytes]));
  assert.equal(bytes.stores, 60 * MiB, 'the resident part of the leased slabs');
  assert.equal(
    bytes.otherExternal,
    9 * MiB,
    'external less Buffers and mapped slabs (15 MiB) capped by malloc less Buffers and V8 (9)',
  );
  assert.equal(bytes.nativeMalloc, undefined, 'malloc holds nothing else');
  assert.equal(account.overcountBytes, 0, 'no non-resident slab page is named');
  assert.equal(sum(account.slices), account.rssBytes);
  // Without the cap, dropped slabs' 8 MiB would have been named as other external memory.
  const uncapped = accountRss(
    inputs({
      allocator: {
        name: 'glibc',
        version: '2.36',
        poolRetainedBytes: 0,
        retainedBytes: undefined,
        inUseBytes: undefined,
        mallocMmappedBytes: undefined,
        chunksInArrayBuffers: false,
        mappedSlabBytes: 16 * MiB,
      },
      memory: {
        rss: 200 * MiB,
        heapTotal: 60 * MiB,
        heapUsed: 40 * MiB,
        external: 21 * MiB,
        arrayBuffers: 1 * MiB,
      },
    }),
  );
  assert.equal(uncapped.slices.find((s) => s.key === 'otherExternal')?.bytes, 4 * MiB);
});

function createCacheForRoom(rid: number): MemoryStore {
  return new MemoryStore({
    name: `acct-${rid}`,
    maxBytes: 4 * MiB,
    initialBytes: 4 * MiB,
    budget: null,
  });
}

test('in this process the report adds up, and names the stores by site', {
  skip: process.platform !== 'linux' && 'needs /proc',
}, () => {
  const stores = Array.from({ length: 8 }, (_, rid) => createCacheForRoom(rid));
  try {
    const m = collectMemstats();
    assert.equal(m.rss.detail, 'full');
    assert.equal(
      sum(m.rss.slices),
      m.rss.rssBytes + m.rss.overcountBytes,
      'every byte of RSS is in one slice (named bytes not resident are reported as overcount)',
    );
    assert.ok(m.rss.overcountBytes < 0.1 * m.rss.rssBytes, `overcount ${m.rss.overcountBytes}`);
    const named = sum(m.rss.slices.filter((s) => s.kind === 'named'));
    assert.equal(m.rss.namedBytes, Math.min(named, m.rss.rssBytes));
    assert.ok(m.rss.fileBackedBytes! > 0 && m.rss.anonymousBytes! > 0);
    const site = m.stores.sites.find((s) => s.site.startsWith('createCacheForRoom'));
    assert.ok(site, 'the stores are summed by their creation site');
    assert.equal(site.stores, 8);
    assert.match(site.site, /\(test\/diagnostics\/rss-account\.test\.ts:\d+:\d+\)$/);
  } finally {
    for (const store of stores) store.close();
  }
});
