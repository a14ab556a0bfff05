import type { Redis } from 'ioredis';
import { MemoryStore, TieredCache } from 'tiercache';
import { idFromProfileKey, type UserDb, type UserProfile } from '../data/index.ts';
import type { OwnCache } from './cache-modes.ts';
import { Profiles } from './profiles.ts';

const MiB = 1024 * 1024;

/**
 * How bug mode reproduces the story at a safe scale. bigcache with the story's config
 * (1024 shards, 16 KiB max entry, 500 MB hard max) held 542 MiB right after `New`; one per room
 * filled 4 of 8 GB. Here each room's store preallocates 1/64 of that, so 128 rooms (the cap on
 * own caches) hold 1 GiB at most: visible on the dashboard, safe on a 24 GiB machine.
 */
export const BUG_MODE_SCALE = {
  /** What one bigcache instance held in the story, measured on bigcache master. */
  originalBytes: 542 * MiB,
  /** What one room's own store preallocates here. */
  storeBytes: 8 * MiB,
  /** The scale factor between the two, for the page. */
  factor: 64,
  /** Most shards of a room's own store (the story had 1024; fewer here so a shard still holds a 16 KiB entry). */
  maxShards: 256,
  /** The story's `MaxEntrySize`. */
  maxEntryBytes: 16 * 1024,
} as const;

/** Where the profile caches get their data. */
export interface ProfileCacheConfig {
  /** The users table, the loader's source of truth. */
  db: UserDb;
  /** The Redis tier (the service owns the client), or undefined for memory + SQLite only. */
  redis?: Redis | undefined;
  /** The cache name: its Redis key prefix and bus channel. @default 'rooms-profiles' */
  name?: string;
  /** Hard cap of the shared memory tier, in bytes. @default 32 MiB */
  sharedMemoryBytes?: number;
  /** What each room's own store preallocates in bug mode, in bytes. @default BUG_MODE_SCALE.storeBytes */
  ownStoreBytes?: number;
  /** Lifetime of profiles in memory, in ms. @default 60_000 */
  memoryTtlMs?: number;
  /** Receives the caches' reported failures (Redis errors and timeouts, bad bytes); reads fail over. */
  onError?: (error: Error) => void;
}

/** The loader: every missing profile of a batch in one SQLite statement. */
function profileLoader(db: UserDb): (keys: string[]) => Map<string, UserProfile> {
  return (keys) => {
    const rows = db.findMany(keys.map(idFromProfileKey));
    const out = new Map<string, UserProfile>();
    for (const key of keys) {
      const row = rows.get(idFromProfileKey(key));
      if (row !== undefined) out.set(key, row);
    }
    return out;
  };
}

/** Builds the one profile cache all rooms share: a lazily growing store, Redis when given, SQLite. */
export function createSharedCache(config: ProfileCacheConfig): {
  profiles: Profiles;
  close(): Promise<void>;
} {
  const cache = new TieredCache<UserProfile>({
    name: config.name ?? 'rooms-profiles',
    memory: { name: 'rooms:profiles (shared)', maxBytes: config.sharedMemoryBytes ?? 32 * MiB },
    redis: config.redis ?? false,
    load: profileLoader(config.db),
    memoryTtlMs: config.memoryTtlMs ?? 60_000,
    // A user id the database does not have is remembered briefly, so a bad id cannot hammer it.
    negativeTtlMs: 5_000,
  });
  if (config.onError !== undefined) cache.on('error', config.onError);
  return { profiles: new Profiles(cache), close: () => cache.close() };
}

/**
 * Builds one room's own profile cache the way the story's `Init()` did: a new store per room,
 * preallocated up front as bigcache's shards were, outside any shared budget, in front of the
 * same Redis and database. This is the bug, reproduced on purpose for the dashboard.
 */
export function createOwnCache(rid: string, config: ProfileCacheConfig): OwnCache {
  const bytes = config.ownStoreBytes ?? BUG_MODE_SCALE.storeBytes;
  // As many shards as the story's config allows while each still fits two 16 KiB entries.
  let shards = BUG_MODE_SCALE.maxShards;
  while (shards > 1 && bytes / shards < 2 * BUG_MODE_SCALE.maxEntryBytes) shards /= 2;
  const store = new MemoryStore({
    name: `room:${rid}`,
    maxBytes: bytes,
    initialBytes: bytes,
    shards,
    maxEntryBytes: BUG_MODE_SCALE.maxEntryBytes,
    budget: null,
    // bigcache's cleanup never gave its queues back; this store's sweep would release the
    // untouched preallocated chunks within a second, so the bug would not show. Turn it off.
    sweepIntervalMs: 0,
  });
  const cache = new TieredCache<UserProfile>({
    name: config.name ?? 'rooms-profiles',
    memory: store,
    redis: config.redis ?? false,
    load: profileLoader(config.db),
    memoryTtlMs: config.memoryTtlMs ?? 60_000,
    // go2cache had no invalidation bus; one subscriber connection per room would be a second leak.
    bus: false,
  });
  if (config.onError !== undefined) cache.on('error', config.onError);
  return {
    profiles: new Profiles(cache),
    close: async () => {
      await cache.close();
      store.close();
    },
  };
}
