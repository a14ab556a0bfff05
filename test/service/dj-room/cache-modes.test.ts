import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { memoryStores } from 'tiercache';
import { allocatorReport } from 'tiercache/memory';
import { getJson, postJson, startTestApp } from '../helpers/test-app.ts';

const MiB = 1024 * 1024;
let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp({ bugStoreBytes: MiB });
});
after(() => app.close());

const reserved = () => memoryStores().reduce((sum, s) => sum + s.reservedBytes, 0);
const join = (rid: string, userId: number) =>
  postJson(`${app.base}/rooms/${rid}/messages`, { type: 'join', userId });

test('shared mode: a hundred rooms, one store, no warning', async () => {
  for (let i = 0; i < 100; i++) assert.equal((await join(`shared-${i}`, 1 + i)).status, 200);
  assert.equal(app.service.router.size, 100);
  assert.equal(memoryStores().length, 1, 'every room reads through the one shared cache');
  assert.ok(reserved() < 4 * MiB, `the shared store grew lazily (${reserved()} bytes)`);
  const state = await getJson(`${app.base}/api/state`);
  assert.deepEqual(state.body.warnings, []);
});

test('bug mode: every new room builds its own preallocated store, and the warning fires', async () => {
  const switched = await postJson(`${app.base}/api/mode`, { mode: 'per-room' });
  assert.deepEqual(switched.body, { mode: 'per-room', released: 0 });
  const before = reserved();
  for (let i = 0; i < 70; i++) {
    const res = await join(`bug-${i}`, 1 + i);
    assert.equal(res.body.cacheMode, 'per-room');
  }
  assert.equal(memoryStores().length, 71);
  // Each room's store holds its preallocation before it stores anything of note.
  assert.ok(reserved() - before > 70 * 0.8 * MiB, `reserved grew by ${reserved() - before}`);
  const { body } = await getJson(`${app.base}/api/state`);
  assert.equal(body.ownCaches.live, 70);
  const warning = body.warnings.find((w: { code: string }) => w.code === 'TIERCACHE_MANY_STORES');
  assert.ok(warning, 'the many-stores warning reached the dashboard');
  assert.match(warning.message, /profile-cache\.ts/, 'it names the line that creates the stores');
  // Rooms created before the switch keep the shared cache.
  assert.equal((await getJson(`${app.base}/rooms/shared-0`)).body.cacheMode, 'shared');
});

test('back to shared: every room gives up its own cache and the stores close', async () => {
  const switched = await postJson(`${app.base}/api/mode`, { mode: 'shared' });
  assert.equal(switched.body.mode, 'shared');
  assert.equal(switched.body.released, 70);
  // The closed stores' chunk pages left the process when they closed (the slab pool), not just
  // the stores' accounting; the switch runs no GC of its own.
  const committed = allocatorReport().arena.committedBytes;
  assert.ok(committed < 8 * MiB, `${committed} bytes of chunk pages still committed`);
  assert.equal(switched.body.gc, undefined);
  assert.equal(memoryStores().length, 1);
  assert.ok(reserved() < 4 * MiB);
  const room = await getJson(`${app.base}/rooms/bug-3`);
  assert.equal(room.body.cacheMode, 'shared');
  assert.deepEqual(
    room.body.members.map((m: { id: number }) => m.id),
    [4],
    'the room kept its state',
  );
  assert.equal(app.service.modes.stats().live, 0);
});

test('the mode switch validates its input', async () => {
  const bad = await postJson(`${app.base}/api/mode`, { mode: 'leaky' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');
  assert.equal(app.service.modes.mode, 'shared');
});
