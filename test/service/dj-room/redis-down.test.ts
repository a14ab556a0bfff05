import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getJson, postJson, startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  // Nothing listens on loopback port 1: every Redis call fails at once.
  app = await startTestApp({ redisUrl: 'redis://127.0.0.1:1' });
});
after(() => app.close());

test('with Redis down, rooms keep working from memory and SQLite, and the failures are counted', async () => {
  const joined = await postJson(`${app.base}/rooms/no-redis/messages`, { type: 'join', userId: 4 });
  assert.equal(joined.status, 200);
  assert.deepEqual(
    joined.body.members.map((m: { id: number }) => m.id),
    [4],
  );
  const user = await getJson(`${app.base}/users/4`);
  assert.equal(user.status, 200);
  const state = await getJson(`${app.base}/api/state`);
  assert.ok(state.body.cacheErrors > 0, 'the failures reached the service');
  assert.equal(state.body.redis, true);
});
