import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Memstats } from 'tiercache/diagnostics';
import { getJson, postJson, startTestApp } from '../helpers/test-app.ts';

const MiB = 1024 * 1024;
let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp({ bugStoreBytes: 2 * MiB });
});
after(() => app?.close());

/**
 * The account, read up to 5 times 250 ms apart until it names 95 % and names at most 2 % beyond
 * RSS: its figures come from several sources read one after another, and a compiler thread or a
 * GC that allocates or frees between two reads (early in a test process) can shift a few MiB
 * for one reading, either way (CI once read 10 MB named beyond RSS in bug mode, once). A gap
 * that persists still fails `checkSum`.
 */
async function account(): Promise<Memstats['rss']> {
  const settled = (rss: Memstats['rss']) =>
    rss.namedShare >= 0.95 && rss.overcountBytes <= 0.02 * rss.rssBytes;
  let rss = ((await getJson(`${app.base}/debug/memstats`)).body as Memstats).rss;
  for (let i = 1; i < 5 && !settled(rss); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    rss = ((await getJson(`${app.base}/debug/memstats`)).body as Memstats).rss;
  }
  return rss;
}

/** The slices add up to RSS, and only measured slices count as named. */
function checkSum(rss: Memstats['rss'], mode: string): void {
  const total = rss.slices.reduce((sum, s) => sum + s.bytes, 0);
  assert.equal(total, rss.rssBytes + rss.overcountBytes, `${mode}: the slices add up to RSS`);
  const named = rss.slices.filter((s) => s.kind === 'named').reduce((sum, s) => sum + s.bytes, 0);
  assert.equal(
    rss.namedBytes,
    Math.min(named, rss.rssBytes),
    `${mode}: derived bytes are not named`,
  );
  for (const s of rss.slices.filter((x) => x.kind === 'derived')) {
    assert.match(s.label, /derived/, `${mode}: a derived slice says so`);
  }
  assert.ok(rss.namedShare > 0.5, `${mode}: named ${(rss.namedShare * 100).toFixed(1)} %`);
  if (rss.allocator?.inUseBytes === undefined) return;
  // With the native helper, malloc's figures are measured: >= 95 % of RSS is named, and no
  // slice names pages that are not resident (which would inflate the share).
  assert.ok(
    rss.namedShare >= 0.95,
    `${mode}: named ${(rss.namedShare * 100).toFixed(1)} % of RSS (${slices(rss)})`,
  );
  assert.ok(
    rss.overcountBytes <= 0.02 * rss.rssBytes,
    `${mode}: ${rss.overcountBytes} bytes named beyond RSS (${slices(rss)})`,
  );
}

function slices(rss: Memstats['rss']): string {
  return rss.slices.map((s) => `${s.key} ${(s.bytes / MiB).toFixed(1)}`).join(', ');
}

test('memstats accounts for RSS in shared mode, in bug mode and after switching back', async () => {
  const join = (rid: string, userId: number) =>
    postJson(`${app.base}/rooms/${rid}/messages`, { type: 'join', userId });
  for (let i = 0; i < 20; i++) await join(`s-${i}`, 1 + i);
  checkSum(await account(), 'shared');

  await postJson(`${app.base}/api/mode`, { mode: 'per-room' });
  for (let i = 0; i < 32; i++) await join(`b-${i}`, 1 + i);
  const bug = await account();
  checkSum(bug, 'bug mode');
  const stores = bug.slices.find((s) => s.key === 'stores');
  assert.ok(stores, 'the stores have a slice');
  const site = stores.parts?.find((p) => p.label.startsWith('createOwnCache'));
  assert.ok(site, 'with the per-room site as a part');
  assert.match(site.label, /\(service\/cache\/profile-cache\.ts:\d+:\d+\) \(32 stores\)$/);
  assert.equal(site.reservedBytes, 32 * 2 * MiB);
  if (bug.allocator?.mappedSlabBytes) {
    // The per-room stores' slabs are mmapped: V8 counts them in `external` at full size, and
    // the account must not name that as other external memory.
    const other = bug.slices.find((s) => s.key === 'otherExternal')?.bytes ?? 0;
    assert.ok(other < 16 * MiB, `other external ${(other / MiB).toFixed(1)} MiB`);
  }

  await postJson(`${app.base}/api/mode`, { mode: 'shared' });
  const back = await account();
  checkSum(back, 'back to shared');
  assert.ok(
    !back.slices
      .find((s) => s.key === 'stores')
      ?.parts?.some((p) => p.label.startsWith('createOwnCache')),
    'the per-room stores are gone from the account',
  );
});
