import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStores } from 'tiercache';
import { type GrowthReport, LeakWatch, theilSenSlope } from 'tiercache/diagnostics';
import type { CacheMode } from '../cache/index.ts';
import { configFromEnv } from '../config.ts';
import { RoomService } from '../room-service.ts';

/** Options of {@link runChurnSoak}. */
export interface ChurnSoakOptions {
  /** The cache mode under test. */
  mode: CacheMode;
  /** Rooms churned through create, use and stop. @default 20_000 */
  rooms?: number;
  /** Rooms used at once (one batch), and rooms per memory sample. @default 500 */
  batch?: number;
  /** Batches run before LeakWatch starts judging (JIT, pools and caches settle). @default 4 */
  warmupBatches?: number;
  /**
   * Distinct users the rooms' members are drawn from (seeded into SQLite). The shared cache
   * fills up until every one of them was read once, so warm-up should churn at least this many
   * rooms. @default 2000
   */
  users?: number;
  /** Samples in LeakWatch's window. @default 10 */
  windowSize?: number;
  /** Growth over one window that LeakWatch calls a leak, in bytes. @default 16 MiB */
  thresholdBytes?: number;
  /**
   * In `shared` mode rooms idle-stop after each batch (the service's normal life). In
   * `per-room` mode rooms stay live, as the story's rooms did for hours, each holding its own
   * store of this many bytes. @default 1 MiB
   */
  bugStoreBytes?: number;
  /** Called after every batch with the sample just taken. */
  onBatch?: (sample: SoakSample, done: number, total: number) => void;
}

/** Memory after one batch (after a full GC when `--expose-gc` is on), in bytes. */
export interface SoakSample {
  time: number;
  rooms: number;
  heapUsed: number;
  external: number;
  rss: number;
  stores: number;
  liveRooms: number;
}

/** What a soak found. */
export interface ChurnSoakResult {
  mode: CacheMode;
  rooms: number;
  samples: SoakSample[];
  /** LeakWatch's first alarm, if any. */
  growth: GrowthReport | undefined;
  /** Theil–Sen trend after warm-up, in bytes per 1000 rooms churned. */
  trendPer1000Rooms: { heapUsed: number; external: number; rss: number; stores: number };
  messages: number;
}

function sampleNow(rooms: number, liveRooms: number): SoakSample {
  globalThis.gc?.();
  const memory = process.memoryUsage();
  return {
    time: Date.now(),
    rooms,
    heapUsed: memory.heapUsed,
    external: memory.external,
    rss: memory.rss,
    stores: memoryStores().reduce((sum, s) => sum + s.reservedBytes, 0),
    liveRooms,
  };
}

async function useRoom(service: RoomService, rid: string, users: number, i: number): Promise<void> {
  const a = 1 + (i % users);
  const b = 1 + ((i * 7 + 3) % users);
  await service.deliver(rid, { type: 'join', userId: a });
  await service.deliver(rid, { type: 'join', userId: b });
  await service.deliver(rid, { type: 'seat', userId: a, seat: i % 8 });
  await service.deliver(rid, { type: 'chat', userId: b, text: `hello ${rid}` });
  await service.deliver(rid, { type: 'dice', userId: a });
  await service.deliver(rid, { type: 'dry-ice', userId: b, durationMs: 200 });
  await service.snapshot(rid);
  await service.deliver(rid, { type: 'leave', userId: a });
}

async function waitForIdleStops(service: RoomService): Promise<void> {
  for (let i = 0; i < 500 && service.router.size > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await service.router.settled();
}

/**
 * Churns rooms through the real service in this process (SQLite, the profile cache, workers,
 * timers) and judges memory with LeakWatch after every batch. With the shared cache the trend
 * stays flat; with a cache per room LeakWatch flags the growth.
 */
export async function runChurnSoak(options: ChurnSoakOptions): Promise<ChurnSoakResult> {
  const rooms = options.rooms ?? 20_000;
  const batch = options.batch ?? 500;
  const warmup = options.warmupBatches ?? 4;
  const users = options.users ?? 2000;
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-soak-'));
  const shared = options.mode === 'shared';
  const service = new RoomService({
    ...configFromEnv({ HOST: '127.0.0.1' }),
    dataPath: join(dir, 'rooms.sqlite'),
    seedUsers: users,
    redisUrl: undefined,
    // Shared mode: rooms stop 20 ms after their last message. Bug mode: they stay, as in the story.
    roomIdleMs: shared ? 20 : 3_600_000,
    maxRooms: rooms + 1,
    cacheMode: options.mode,
    bugStoreBytes: options.bugStoreBytes ?? 1024 * 1024,
  });
  let current: SoakSample = sampleNow(0, 0);
  const watch = new LeakWatch({
    windowSize: options.windowSize ?? 10,
    thresholdBytes: options.thresholdBytes ?? 16 * 1024 * 1024,
    metrics: ['heapUsed', 'external', 'stores'],
    heapProfiles: false,
    emitWarning: false,
    sample: () => current,
  });
  const samples: SoakSample[] = [];
  let growth: GrowthReport | undefined;
  try {
    for (let done = 0, round = 0; done < rooms; round++) {
      const size = Math.min(batch, rooms - done);
      await Promise.all(
        Array.from({ length: size }, (_, k) =>
          useRoom(service, `soak-${done + k}`, users, done + k),
        ),
      );
      done += size;
      if (shared) await waitForIdleStops(service);
      current = sampleNow(done, service.router.size);
      samples.push(current);
      options.onBatch?.(current, done, rooms);
      if (round >= warmup) growth ??= await watch.tick();
    }
  } finally {
    watch.stop();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const judged = samples.slice(warmup);
  const trend = (key: 'heapUsed' | 'external' | 'rss' | 'stores') =>
    theilSenSlope(
      judged.map((s) => s.rooms),
      judged.map((s) => s[key]),
    ) * 1000;
  return {
    mode: options.mode,
    rooms,
    samples,
    growth,
    trendPer1000Rooms: {
      heapUsed: trend('heapUsed'),
      external: trend('external'),
      rss: trend('rss'),
      stores: trend('stores'),
    },
    messages: service.handledMessages(),
  };
}
