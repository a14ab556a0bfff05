/**
 * Runs the story's repro: 20 "rooms", each creating one cache as the Go room worker's `Init()`
 * did, printing process memory after each. Two modes run in child processes of their own so
 * their figures never mix:
 *
 * - `bigcache-like`: a MemoryStore configured and preallocated the way the story's bigcache
 *   was (1024 shards, every shard's byte queue allocated at construction), scaled down so 20 of
 *   them fit comfortably on a small machine;
 * - `tiercache`: a MemoryStore with tiercache's defaults (lazy, on the shared process budget).
 *
 * Both modes lower the `TIERCACHE_MANY_STORES` threshold so the warning visibly fires within the
 * 20 rooms: one store per room is the bug pattern even when each store is cheap.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Which way each room builds its cache. */
export type ReproMode = 'bigcache-like' | 'tiercache';

/** One line of the repro: memory after a room's cache was created and used. */
export interface ReproSample {
  mode: ReproMode;
  room: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  reservedBytes: number;
}

/** Options of {@link runStoryRepro}. */
export interface ReproOptions {
  /** Rooms created per mode. @default 20 (the story's loop) */
  rooms?: number;
  /**
   * Bytes each bigcache-like store preallocates. The story's config (1024 shards, 16 KiB max
   * entry, 500 MB hard max) preallocated about 500 MiB per instance; the default here is a
   * tenth of that so 20 rooms stay near 1 GiB.
   * @default 50 MiB
   */
  perStoreBytes?: number;
  /** Where progress and the final table go. @default process.stdout */
  out?: { write(text: string): unknown };
}

/** The story's bigcache preallocation per instance, for the output's explanation. */
const STORY_BYTES_PER_INSTANCE = 500 * 2 ** 20;
const MANY_STORES_THRESHOLD = 8;
/** The smallest bigcache-like store, in whole MiB: each of its 1024 shards must hold one 16 KiB entry and its index. */
export const MIN_PER_STORE_BYTES = 17 * 2 ** 20;

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Runs both modes one after the other and prints progress and a side-by-side table. */
export async function runStoryRepro(options: ReproOptions = {}): Promise<ReproSample[]> {
  const rooms = options.rooms ?? 20;
  const perStoreBytes = options.perStoreBytes ?? 50 * 2 ** 20;
  const out = options.out ?? process.stdout;
  if (!Number.isInteger(rooms) || rooms < 1 || rooms > 1000) {
    throw new RangeError(`rooms must be an integer in 1..1000, got ${rooms}`);
  }
  if (!(perStoreBytes >= MIN_PER_STORE_BYTES)) {
    throw new RangeError(
      `perStoreBytes must be at least ${MIN_PER_STORE_BYTES} (1024 shards x a 16 KiB entry and its index), got ${perStoreBytes}`,
    );
  }
  const say = (line: string) => out.write(`${line}\n`);

  say("The story's repro: one cache per room, as room_work's Init() built them.");
  say(
    `  bigcache-like: shards 1024, ${mib(perStoreBytes)} preallocated per store ` +
      `(the story's config took ~${mib(STORY_BYTES_PER_INSTANCE)} each; scaled by ` +
      `${(perStoreBytes / STORY_BYTES_PER_INSTANCE).toFixed(2)} so ${rooms} rooms fit this machine)`,
  );
  say('  tiercache: MemoryStore with its defaults (lazy, bounded, on the shared process budget)');
  say(
    `  TIERCACHE_MANY_STORES threshold lowered to ${MANY_STORES_THRESHOLD} so it fires within the loop\n`,
  );

  const samples: ReproSample[] = [];
  for (const mode of ['bigcache-like', 'tiercache'] as const) {
    say(`-- ${mode}`);
    samples.push(...(await runChild(mode, rooms, perStoreBytes, say)));
  }

  const big = samples.filter((s) => s.mode === 'bigcache-like');
  const lazy = samples.filter((s) => s.mode === 'tiercache');
  say('\nroom | bigcache-like arrayBuffers | rss       | tiercache arrayBuffers | rss');
  say('---- | -------------------------- | --------- | ---------------------- | ---------');
  for (let i = 0; i < rooms; i++) {
    const b = big[i];
    const t = lazy[i];
    if (!b || !t) continue;
    say(
      `${String(i + 1).padStart(4)} | ${mib(b.arrayBuffers).padStart(26)} | ${mib(b.rss).padStart(9)} | ` +
        `${mib(t.arrayBuffers).padStart(22)} | ${mib(t.rss).padStart(9)}`,
    );
  }
  const lastBig = big[big.length - 1];
  const lastLazy = lazy[lazy.length - 1];
  if (lastBig && lastLazy) {
    say(
      `\nAfter ${rooms} rooms: bigcache-like stores reserve ${mib(lastBig.reservedBytes)}, ` +
        `tiercache's ${mib(lastLazy.reservedBytes)} ` +
        `(${(lastBig.reservedBytes / Math.max(1, lastLazy.reservedBytes)).toFixed(0)}x less) for the same room data.`,
    );
    say(
      'arrayBuffers is the figure Go called MemStats.Alloc: bytes the process holds outside the JS heap. ' +
        'In the service, each new room added its ~500 MiB, which is why memory crept up room by room.',
    );
    say(
      'The fix is one shared store (or TieredCache) for all rooms; the warning above names the line that creates them.',
    );
  }
  return samples;
}

function runChild(
  mode: ReproMode,
  rooms: number,
  perStoreBytes: number,
  say: (line: string) => void,
): Promise<ReproSample[]> {
  // Run the child with this file's own extension and the parent's execArgv, so it works both
  // from source (tsx loaded through --import) and from the built dist/.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const child = fileURLToPath(new URL(`./repro-child${ext}`, import.meta.url));
  // The child forwards its warnings as JSON lines; --no-warnings stops Node printing them twice.
  const execArgv = [...process.execArgv, '--no-warnings'];
  // From source, the child needs tsx as a loader even when this process registered it in code.
  if (ext === '.ts' && !execArgv.some((a) => a.includes('tsx'))) {
    execArgv.push('--import', import.meta.resolve('tsx'));
  }
  const proc = spawn(
    process.execPath,
    [...execArgv, child, mode, String(rooms), String(perStoreBytes), String(MANY_STORES_THRESHOLD)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const samples: ReproSample[] = [];
  const lines = createInterface({ input: proc.stdout });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as
      | { type: 'sample'; sample: ReproSample }
      | { type: 'warning'; code: string; message: string };
    if (message.type === 'warning') {
      say(`   ⚠ process warning ${message.code}: ${message.message}`);
      return;
    }
    const s = message.sample;
    samples.push(s);
    say(
      `   room ${String(s.room).padStart(2)}/${rooms}  rss ${mib(s.rss).padStart(10)}  heapUsed ${mib(s.heapUsed).padStart(9)}  ` +
        `external ${mib(s.external).padStart(10)}  arrayBuffers ${mib(s.arrayBuffers).padStart(10)}  stores reserve ${mib(s.reservedBytes).padStart(10)}`,
    );
  });
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve(samples);
      else reject(new Error(`repro child for ${mode} exited with code ${code}`));
    });
  });
}
