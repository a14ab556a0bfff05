// The process whose RSS the rss-*.test.ts files read from outside (/proc/PID/status). It runs a
// scenario in rounds and reports each phase on stdout as one JSON line; after each phase it
// waits for a line on stdin before going on, so the parent measures at a known point. Between
// phases it keeps a small shared store busy, as a service keeps serving, and never calls gc().
//
//   node --conditions=source --import tsx test/memory/rss-child.ts <scenario> <rounds>
//
// Scenarios:
//   closed-stores  128 stores of 8 MiB (256 shards, 16 KiB entries: the room service's bug
//                  mode), preallocated and filled, then all closed.
//   store-churn    4,000 small stores (16 shards, 4 KiB chunks) created, filled and closed with
//                  up to 200 alive at once, so freed chunks interleave with live ones.
import { createInterface } from 'node:readline';
import { allocatorReport, MemoryStore } from 'tiercache/memory';

const [scenario = 'closed-stores', roundsArg = '2'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const MiB = 1024 * 1024;

// The service's own store: stays open throughout and is used between phases.
const shared = new MemoryStore({ name: 'shared', maxBytes: 4 * MiB, budget: null });
let tick = 0;
const work = setInterval(() => {
  for (let i = 0; i < 200; i++, tick++) {
    shared.set(`room:${tick % 5000}`, `{"tick":${tick},"pad":"${'p'.repeat(64)}"}`);
    shared.get(`room:${(tick * 7) % 5000}`);
  }
}, 20);

async function phase(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const arena = allocatorReport().arena;
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const memory: Record<string, number> = { heapTotal, heapUsed, external, arrayBuffers };
  process.stdout.write(
    `${JSON.stringify({ phase: name, committedBytes: arena.committedBytes, memory, ...extra })}\n`,
  );
  const next = await lines.next();
  if (next.done) process.exit(0);
  // `report` asks for the figures again (the parent's diagnostics when a bound fails).
  if (next.value === 'report') await phase(`${name}-report`, extra);
}

const value = (i: number, bytes: number) => `${i}:`.padEnd(bytes, 'v');

async function closedStores(round: number): Promise<void> {
  const stores: MemoryStore[] = [];
  for (let s = 0; s < 128; s++) {
    const store = new MemoryStore({
      name: `room-${round}-${s}`,
      maxBytes: 8 * MiB,
      initialBytes: 8 * MiB,
      shards: 256,
      maxEntryBytes: 16 * 1024,
      budget: null,
    });
    for (let i = 0; i < 4_500; i++) store.set(`profile:${i}`, value(i, 2_000));
    stores.push(store);
  }
  await phase('filled', { round });
  for (const store of stores) store.close();
}

async function storeChurn(round: number): Promise<void> {
  const alive: MemoryStore[] = [];
  for (let s = 0; s < 4000; s++) {
    const store = new MemoryStore({
      name: `small-${round}-${s}`,
      maxBytes: 1 * MiB,
      shards: 16,
      budget: null,
    });
    // Entries of different sizes per store so chunk sizes and counts vary between stores.
    const entries = 200 + ((s * 37) % 600);
    for (let i = 0; i < entries; i++) store.set(`k:${i}`, value(i, 40 + (i % 200)));
    alive.push(store);
    // Close a pseudo-random live store, so lifetimes overlap and freed chunks sit between live ones.
    if (alive.length > 200) alive.splice((s * 7919) % alive.length, 1)[0]!.close();
  }
  await phase('filled', { round });
  for (const store of alive) store.close();
}

// Warm up: load and compile the paths once, so the baseline includes the code.
(scenario === 'closed-stores' ? closedStoresWarm : storeChurnWarm)();
function closedStoresWarm(): void {
  const store = new MemoryStore({ maxBytes: 8 * MiB, initialBytes: 8 * MiB, shards: 256 });
  for (let i = 0; i < 4_500; i++) store.set(`profile:${i}`, value(i, 2_000));
  store.close();
}
function storeChurnWarm(): void {
  for (let s = 0; s < 20; s++) {
    const store = new MemoryStore({ maxBytes: 1 * MiB, shards: 16, budget: null });
    for (let i = 0; i < 500; i++) store.set(`k:${i}`, value(i, 100));
    store.close();
  }
}

await phase('baseline');
for (let round = 1; round <= rounds; round++) {
  if (scenario === 'closed-stores') await closedStores(round);
  else await storeChurn(round);
  await phase('closed', { round });
}
clearInterval(work);
shared.close();
process.exit(0);
