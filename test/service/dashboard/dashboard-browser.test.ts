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

const number = async (page: Page, id: string) =>
  Number.parseFloat((await page.locator(`#${id}`).textContent()) ?? 'NaN');

/** Reads a byte figure as the page prints it ("12.3 MiB") back into bytes. */
async function bytes(page: Page, id: string): Promise<number> {
  const text = (await page.locator(`#${id}`).textContent()) ?? '';
  const [value, unit] = text.split(' ');
  const scale: Record<string, number> = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB };
  return Number.parseFloat(value ?? 'NaN') * (scale[unit ?? ''] ?? Number.NaN);
}

test('the dashboard plots the load, and bug mode climbs and warns', {
  skip: missing && `${CHROMIUM} not installed (apt-get install chromium)`,
}, async () => {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app!.url);
  await page.waitForFunction(() => Number(document.getElementById('charts')?.dataset.samples) >= 2);
  assert.equal(await page.locator('.uplot').count(), 6, 'six charts drawn');
  assert.equal(await page.locator('#mode-shared').getAttribute('aria-pressed'), 'true');

  // Start the load: bots in rooms that keep being created.
  await page.fill('#load-rooms', '40');
  await page.fill('#load-bots', '120');
  await page.fill('#load-seconds', '120');
  await page.fill('#load-churn', '250');
  await page.click('#load-start');
  await page.waitForFunction(() =>
    /running/.test(document.getElementById('load-status')?.textContent ?? ''),
  );
  await page.waitForFunction(() => Number(document.getElementById('fig-rooms')?.textContent) >= 20);
  const samplesBefore = Number(await page.locator('#charts').getAttribute('data-samples'));
  await page.waitForFunction(
    (n) => Number(document.getElementById('charts')?.dataset.samples) >= n + 2,
    samplesBefore,
  );
  assert.ok((await number(page, 'fig-mps')) > 0, 'messages are flowing');
  const sharedReserved = await bytes(page, 'fig-reserved');

  // Flip to the original bug: new rooms each preallocate their own store.
  await page.click('#mode-per-room');
  await page.waitForFunction(
    () => document.getElementById('mode-per-room')?.getAttribute('aria-pressed') === 'true',
  );
  await page.waitForFunction(
    (floor) => {
      const [v, unit] = (document.getElementById('fig-reserved')?.textContent ?? '').split(' ');
      const scale: Record<string, number> = { MiB: 1048576, GiB: 1073741824 };
      return Number.parseFloat(v ?? '0') * (scale[unit ?? ''] ?? 0) > floor;
    },
    sharedReserved + 64 * 2 * MiB * 0.8,
    { timeout: 30_000 },
  );
  await page.waitForSelector('.warning[data-code="TIERCACHE_MANY_STORES"]', { timeout: 15_000 });
  assert.match(
    (await page.locator('.warning').first().textContent()) ?? '',
    /live MemoryStores were created at/,
  );
  assert.ok((await page.locator('#stores tbody tr').count()) > 1, 'the stores table lists them');

  mkdirSync(outDir, { recursive: true });
  await page.waitForTimeout(1500); // one more sample so the climb is on the charts
  await page.screenshot({ path: `${outDir}dashboard.png`, fullPage: true });

  // Back to the fix: rooms give up their own stores, the reserved figure falls back.
  await page.click('#mode-shared');
  await page.waitForFunction(
    (ceiling) => {
      const [v, unit] = (document.getElementById('fig-reserved')?.textContent ?? '').split(' ');
      const scale: Record<string, number> = { B: 1, KiB: 1024, MiB: 1048576, GiB: 1073741824 };
      return Number.parseFloat(v ?? '0') * (scale[unit ?? ''] ?? 0) < ceiling;
    },
    sharedReserved + 8 * MiB,
    { timeout: 15_000 },
  );
  await page.click('#load-stop');
  await page.waitForFunction(() =>
    /done/.test(document.getElementById('load-status')?.textContent ?? ''),
  );
  assert.deepEqual(errors, [], 'no script errors on the page');
});
