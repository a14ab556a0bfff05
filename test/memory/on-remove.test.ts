import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore, type RemovalReason } from 'tiercache/memory';

function recording() {
  const calls: [string, string, RemovalReason][] = [];
  const onRemove = (key: string, value: Buffer, reason: RemovalReason) => {
    calls.push([key, value.toString(), reason]);
  };
  return { calls, onRemove };
}

test("delete and clear report 'deleted' with the removed value", () => {
  const { calls, onRemove } = recording();
  const store = new MemoryStore({ onRemove, budget: null });
  store.set('a', '1');
  store.set('b', '2');
  store.set('c', '3');
  store.delete('a');
  store.delete('missing');
  assert.deepEqual(calls, [['a', '1', 'deleted']]);
  store.clear();
  assert.deepEqual(calls.slice(1).sort(), [
    ['b', '2', 'deleted'],
    ['c', '3', 'deleted'],
  ]);
  store.close();
});

test('overwrites and close() do not report removals', () => {
  const { calls, onRemove } = recording();
  const store = new MemoryStore({ onRemove, budget: null });
  store.set('k', 'short');
  store.set('k', 'a much longer value that needs a new slot');
  store.set('k', 'x');
  store.close();
  assert.deepEqual(calls, []);
});

test("expiry on read reports 'expired'; FIFO eviction reports 'evicted'", () => {
  let now = 0;
  const { calls, onRemove } = recording();
  const store = new MemoryStore({
    onRemove,
    now: () => now,
    shards: 1,
    maxBytes: 16 * 1024,
    sweepIntervalMs: 0,
    budget: null,
  });
  store.set('t', 'ttl', { ttlMs: 1 });
  now = 1;
  assert.equal(store.get('t'), undefined);
  assert.deepEqual(calls, [['t', 'ttl', 'expired']]);
  for (let i = 0; i < 1000; i++) store.set(`k${i}`, 'v'.repeat(64));
  const evicted = calls.filter(([, , reason]) => reason === 'evicted');
  assert.equal(evicted.length, store.stats().evictions);
  assert.ok(evicted.length > 0);
  assert.equal(evicted[0]![0], 'k0');
  store.close();
});

test('a callback may use the store; a throwing callback surfaces after the store is consistent', () => {
  const store: MemoryStore = new MemoryStore({
    budget: null,
    onRemove: (key) => {
      if (key === 'boom') throw new Error('callback failed');
      store.set(`tomb:${key}`, 'gone');
    },
  });
  store.set('a', '1');
  store.delete('a');
  assert.equal(store.getString('tomb:a'), 'gone');
  store.set('boom', '1');
  assert.throws(() => store.delete('boom'), /callback failed/);
  assert.equal(store.has('boom'), false);
  store.set('after', 'ok');
  assert.equal(store.getString('after'), 'ok');
  store.close();
});
