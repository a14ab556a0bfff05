import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestApp } from '../helpers/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const outDir = new URL('../../../test-output/', import.meta.url).pathname;
const MiB = 1024 * 1024;

let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
let browser: Browser | undefined;

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing; CI must install chromium for the dashboard test`);
}

before(async () => {
  if (missing) return;
  // The service's LeakWatch samples every second here (5 s in production), so its alarm shows soon.
  process.env.LEAK_WATCH_INTERVAL_MS = '1000';
  app = await startTestApp({ bugStoreBytes: 2 * MiB, seedUsers: 2000 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  await app?.close();
});

const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().textContent()) ?? '';
const number = async (page: Page, id: string) => Number.parseFloat(await text(page, `#${id}`));
const samples = async (page: Page) =>
  Number(await page.locator('#charts').getAttribute('data-samples'));

/** Reads a byte figure as the page prints it ("12.3 MiB") back into bytes. */
async function bytes(page: Page, id: string): Promise<number> {
  const [value, unit] = (await text(page, `#${id}`)).split(' ');
  const scale: Record<string, number> = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB };
  return Number.parseFloat(value ?? 'NaN') * (scale[unit ?? ''] ?? Number.NaN);
}

/** Polls `check` (which reads the page) until it holds; the page updates itself every second. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`the dashboard never showed ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('the dashboard plots the load, and bug mode climbs and warns', {
  skip: missing && `${CHROMIUM} not installed (apt-get install chromium)`,
}, async () => {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app!.url);
  await until('two samples on the charts', async () => (await samples(page)) >= 2);
  assert.equal(await page.locator('.uplot').count(), 8, 'eight charts drawn');
  assert.match(await text(page, '#fig-named'), /^\d+ % of RSS$/, 'the named share of RSS');
  // The stacked RSS chart's legend lists the slices, the unexplained one included.
  assert.match(await text(page, '#chart-rss'), /unexplained \(derived\)/);
  assert.match(await text(page, '#chart-loop'), /p99 ms/);
  assert.equal(await page.locator('#mode-shared').getAttribute('aria-pressed'), 'true');

  // Start the load: bots in rooms that keep being created.
  await page.fill('#load-rooms', '40');
  await page.fill('#load-bots', '120');
  await page.fill('#load-seconds', '120');
  await page.fill('#load-churn', '250');
  await page.click('#load-start');
  await until('the load running', async () => /running/.test(await text(page, '#load-status')));
  await until('20 live rooms', async () => (await number(page, 'fig-rooms')) >= 20);
  const samplesBefore = await samples(page);
  await until('the charts moving', async () => (await samples(page)) >= samplesBefore + 2);
  assert.ok((await number(page, 'fig-mps')) > 0, 'messages are flowing');
  const sharedReserved = await bytes(page, 'fig-reserved');

  // Flip to the original bug: new rooms each preallocate their own store.
  await page.click('#mode-per-room');
  await until(
    'bug mode selected',
    async () => (await page.locator('#mode-per-room').getAttribute('aria-pressed')) === 'true',
  );
  // 64 rooms with their own 2 MiB store (a little under, once rounded to whole chunks).
  const floor = sharedReserved + 64 * 2 * MiB * 0.8;
  await until(
    'reserved bytes climbing',
    async () => (await bytes(page, 'fig-reserved')) > floor,
    30_000,
  );
  await page.waitForSelector('.warning[data-code="TIERCACHE_MANY_STORES"]', { timeout: 15_000 });
  assert.match(
    await text(page, '.warning[data-code="TIERCACHE_MANY_STORES"]'),
    /live MemoryStores were created at/,
  );
  // The service's LeakWatch flags the step of stores and names the line that creates them.
  await page.waitForSelector('.warning[data-code="TIERCACHE_MEMORY_GROWTH"]', { timeout: 30_000 });
  assert.match(
    await text(page, '.warning[data-code="TIERCACHE_MEMORY_GROWTH"]'),
    /stores grew at createOwnCache \(service\/cache\/profile-cache\.ts:\d+:\d+\)/,
  );
  assert.ok((await page.locator('#stores tbody tr').count()) > 1, 'the stores table lists them');

  mkdirSync(outDir, { recursive: true });
  const shown = await samples(page);
  await until('one more sample', async () => (await samples(page)) > shown); // the climb on the charts
  await page.screenshot({ path: `${outDir}dashboard-bug-mode.png`, fullPage: true });

  // Back to the fix: rooms give up their own stores, the reserved figure falls back.
  await page.click('#mode-shared');
  const ceiling = sharedReserved + 8 * MiB;
  await until(
    'reserved bytes back down',
    async () => (await bytes(page, 'fig-reserved')) < ceiling,
  );
  // The whole story on one picture: the shared baseline, the climb, the drop.
  const after = await samples(page);
  await until('the drop on the charts', async () => (await samples(page)) >= after + 3);
  await page.screenshot({ path: `${outDir}dashboard.png`, fullPage: true });
  await page.click('#load-stop');
  await until('the load done', async () => /done/.test(await text(page, '#load-status')));
  assert.deepEqual(errors, [], 'no script errors on the page');
});
