// The diagnostics handler mounted in a Fastify 5 app, as docs/diagnostics.md shows it: routes
// that hand the raw request and response over, beside the app's own routes, token enforced.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';

const token = 'fastify-test-token-0123456789';
const app = Fastify();
let base: string;

before(async () => {
  const diagnostics = createDiagnosticsHandler({ token });
  const route = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    diagnostics(request.raw, reply.raw);
  };
  app.get('/debug/*', route);
  app.get('/metrics', route);
  app.get('/hello', async () => ({ hello: 'world' }));
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => app.close());

const auth = { headers: { authorization: `Bearer ${token}` } };

test('memstats, the pprof index and /metrics answer through Fastify', async () => {
  const memstats = await fetch(`${base}/debug/memstats`, auth);
  assert.equal(memstats.status, 200);
  assert.ok(((await memstats.json()) as { memory: { rss: number } }).memory.rss > 0);
  const index = await fetch(`${base}/debug/pprof/`, auth);
  assert.equal(index.status, 200);
  const metrics = await fetch(`${base}/metrics`, auth);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^tiercache_memory_bytes\{kind="rss"\} [1-9]\d*$/m);
});

test('the token is enforced and the app routes still work', async () => {
  const denied = await fetch(`${base}/debug/memstats`);
  assert.equal(denied.status, 401);
  assert.deepEqual(await (await fetch(`${base}/hello`)).json(), { hello: 'world' });
  // A path under /debug/ that the handler does not own: its JSON 404, not a hang.
  const unknown = await fetch(`${base}/debug/nothing-here`, auth);
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /TIERCACHE_NOT_FOUND/);
});
