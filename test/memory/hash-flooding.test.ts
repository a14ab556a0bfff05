import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';
import { craftCollidingKeys, unseededHash } from '../../bench/_hash-collisions.ts';
import { hashString, hashWithSeed } from '../../src/memory/hash.ts';
import { HASH_FUNCTION } from '../../src/memory/test-hooks.ts';

const crafted = craftCollidingKeys(4096);

test('the crafting tool makes keys that all collide under the unseeded hash', () => {
  assert.equal(new Set(crafted).size, crafted.length);
  assert.equal(new Set(crafted.map(unseededHash)).size, 1);
});

/** Sets every key, reads every key back, and returns the hash collisions the probes met. */
function collisionsMet(keys: string[], options: object): number {
  const store = new MemoryStore({ name: 'flood', shards: 1, budget: null, ...options });
  try {
    for (const key of keys) assert.equal(store.set(key, 'v'), true);
    for (const key of keys) assert.equal(store.getString(key), 'v');
    return store.stats().collisions;
  } finally {
    store.close();
  }
}

test('keys colliding under the unseeded hash no longer share a probe run', () => {
  // Under the unseeded hash, 1,024 of them make every probe walk past all earlier ones.
  const unseeded = collisionsMet(crafted.slice(0, 1024), { [HASH_FUNCTION]: unseededHash });
  assert.ok(unseeded >= 1024 * 1023, `${unseeded} collisions under the unseeded hash`);
  // Under the store's hash they are as distinct as any keys: 4,096 of them, 32-bit hashes.
  assert.equal(new Set(crafted.map(hashString)).size, crafted.length);
  const seeded = collisionsMet(crafted, {});
  assert.ok(seeded <= 2, `${seeded} collisions under the seeded hash`);
});

test('the seed changes every hash and differs between processes', () => {
  const keys = ['', 'a', 'user:1', crafted[0]!];
  for (const key of keys) assert.notEqual(hashWithSeed(key, 1), hashWithSeed(key, 2));
  const script = `import('${new URL('../../src/memory/hash.ts', import.meta.url).href}').then((m) => console.log(m.hashString('tiercache')))`;
  const run = () =>
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }).trim();
  const first = run();
  const second = run();
  assert.match(first, /^-?\d+$/);
  assert.notEqual(first, second, 'two processes drew the same seed (1 in 2^32 by chance)');
});
