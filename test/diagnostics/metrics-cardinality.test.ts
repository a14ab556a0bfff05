import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry } from 'tiercache/diagnostics';
import { MemoryStore } from 'tiercache/memory';
import { TieredCache } from 'tiercache/tiered';

/** `metric{label="value",...} number` lines of one metric, as [labels, value] pairs. */
function series(text: string, metric: string): [string, number][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .map((line) => {
      const [labels = '', value = ''] = line.slice(metric.length).split(' ');
      return [labels, Number(value)];
    });
}

function labelValues(pairs: [string, number][], label: string): Set<string> {
  return new Set(pairs.map(([labels]) => new RegExp(`${label}="([^"]*)"`).exec(labels)?.[1] ?? ''));
}

test('a store per room: the 20 largest names keep their label, the rest sum into store="other"', async () => {
  // Room i holds i entries: the larger the room number, the more bytes it reserves.
  const stores = Array.from({ length: 100 }, (_, i) => {
    const store = new MemoryStore({ name: `room-${i}`, maxBytes: 1 << 20 });
    for (let k = 0; k < i; k++) store.set(`k${k}`, 'v'.repeat(500));
    return store;
  });
  try {
    const text = await createMetricsRegistry().metrics();
    for (const metric of [
      'tiercache_stores',
      'tiercache_store_entries',
      'tiercache_store_used_bytes',
      'tiercache_store_reserved_bytes',
    ]) {
      const names = labelValues(series(text, metric), 'store');
      assert.ok(names.size <= 21, `${metric}: ${names.size} store labels`);
      assert.ok(names.has('other'), metric);
    }
    const counts = new Map(series(text, 'tiercache_stores'));
    assert.equal(counts.get('{store="other"}'), 80);
    // The labelled names are the largest: none of them holds less than any folded store.
    const labelled = new Set(
      [...labelValues(series(text, 'tiercache_stores'), 'store')].filter((n) => n !== 'other'),
    );
    assert.equal(labelled.size, 20);
    const kept = stores.filter((s) => labelled.has(s.name)).map((s) => s.reservedBytes);
    const folded = stores.filter((s) => !labelled.has(s.name)).map((s) => s.reservedBytes);
    assert.ok(
      Math.min(...kept) >= Math.max(...folded),
      `${Math.min(...kept)} ${Math.max(...folded)}`,
    );
    assert.ok(labelled.has('room-99'));
    // Nothing is lost in the fold: the labelled series still add up to every store's bytes.
    const reserved = series(text, 'tiercache_store_reserved_bytes').reduce((a, [, v]) => a + v, 0);
    assert.equal(
      reserved,
      stores.reduce((a, s) => a + s.reservedBytes, 0),
    );
  } finally {
    for (const store of stores) store.close();
  }
});

test('a cache per room: the 20 busiest names keep their label, the rest sum into cache="other"', async () => {
  const caches = Array.from(
    { length: 100 },
    (_, i) =>
      new TieredCache<string>({
        name: `cardinality-room-${i}`,
        redis: false,
        load: async (keys) => new Map(keys.map((k) => [k, k])),
      }),
  );
  try {
    // Cache i serves i gets, so the busiest are rooms 99 down to 80.
    for (const [i, cache] of caches.entries()) {
      for (let k = 0; k < i; k++) await cache.get('key');
    }
    const text = await createMetricsRegistry().metrics();
    const stat = series(text, 'tiercache_cache_stat');
    const names = labelValues(stat, 'cache');
    assert.ok(names.size <= 21, `${names.size} cache labels`);
    assert.ok(names.has('cardinality-room-99') && names.has('cardinality-room-80'));
    assert.ok(!names.has('cardinality-room-79'));
    const hits = (cache: string) =>
      stat.find(([labels]) => labels === `{cache="${cache}",stat="memory_hits"}`)?.[1];
    // Cache i missed once and then hit i - 1 times: rooms 1..79 fold into one sum.
    let folded = 0;
    for (let i = 1; i < 80; i++) folded += i - 1;
    assert.equal(hits('other'), folded);
    assert.equal(hits('cardinality-room-99'), 98);
  } finally {
    await Promise.all(caches.map((c) => c.close()));
  }
});
