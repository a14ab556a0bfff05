import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DebugServer, Memstats } from 'tiercache/diagnostics';
import { MemoryStore } from 'tiercache/memory';
import { startTestServer } from './helpers.ts';

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function memstats(): Promise<Memstats> {
  const response = await fetch(`${server.url}/debug/memstats`);
  return (await response.json()) as Memstats;
}

test('memstats lists the stores a test created, with their bytes and creation site', async () => {
  const name = `memstats-test-${process.pid}`;
  const store = new MemoryStore({ name, maxBytes: 8 * 1024 * 1024 });
  const value = 'v'.repeat(1000);
  for (let i = 0; i < 2000; i++) store.set(`key:${i}`, value);

  const m = await memstats();
  const listed = m.stores.list.find((s) => s.name === name);
  assert.ok(listed, 'the store is listed');
  assert.equal(listed.size, 2000);
  assert.equal(listed.usedBytes, store.usedBytes);
  assert.equal(listed.reservedBytes, store.reservedBytes);
  assert.ok(listed.usedBytes >= 2000 * 1000, 'used bytes cover the values');
  assert.equal(listed.maxBytes, 8 * 1024 * 1024);
  assert.match(listed.createdBy, /memstats-stores\.test\.ts/);
  assert.ok(m.stores.reservedBytes >= listed.reservedBytes);
  assert.ok(m.stores.entries >= 2000);
  const budget = m.budgets.find((b) => b.name === 'process');
  assert.ok(budget && budget.reservedBytes >= listed.reservedBytes);

  store.close();
  const afterClose = await memstats();
  assert.equal(
    afterClose.stores.list.find((s) => s.name === name),
    undefined,
    'a closed store is no longer listed',
  );
});

test('/metrics sums store bytes by store name', async () => {
  const name = `metrics-room-${process.pid}`;
  const stores = [0, 1, 2].map(() => new MemoryStore({ name, maxBytes: 1024 * 1024 }));
  for (const [i, s] of stores.entries()) s.set(`k${i}`, 'x'.repeat(100));
  const text = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(text, new RegExp(`^tiercache_stores\\{store="${name}"\\} 3$`, 'm'));
  assert.match(text, new RegExp(`^tiercache_store_entries\\{store="${name}"\\} 3$`, 'm'));
  const reserved = stores.reduce((sum, s) => sum + s.reservedBytes, 0);
  assert.match(
    text,
    new RegExp(`^tiercache_store_reserved_bytes\\{store="${name}"\\} ${reserved}$`, 'm'),
  );
  for (const s of stores) s.close();
});
