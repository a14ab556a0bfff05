import { InvalidArgumentError } from 'tiercache/errors';
import type { Profiles } from './profiles.ts';

/** `shared`: every room uses one cache (the fix). `per-room`: each new room builds its own (the bug). */
export type CacheMode = 'shared' | 'per-room';

/** A room's hold on a profile cache; `release()` gives it back (and closes an own cache). */
export interface CacheLease {
  readonly mode: CacheMode;
  readonly profiles: Profiles;
  release(): Promise<void>;
}

/** A cache built for one room in bug mode, and how to close it with everything it holds. */
export interface OwnCache {
  profiles: Profiles;
  close(): Promise<void>;
}

/** Options of {@link CacheModes}. */
export interface CacheModesOptions {
  /** The one cache every room shares in `shared` mode. */
  shared: Profiles;
  /** Builds a room's own cache in `per-room` mode. */
  createOwn: (rid: string) => OwnCache;
  /** Own caches alive at most; past it new rooms share instead, so the demo stays safe. @default 128 */
  maxOwn?: number;
  /** The mode at start. @default 'shared' */
  mode?: CacheMode;
}

/** Profile reads answered by each tier, summed over every cache the service has had. */
export interface CacheTotals {
  memoryHits: number;
  redisHits: number;
  /** Keys that fell through to SQLite. */
  loaderKeys: number;
}

function addStats(into: CacheTotals, profiles: Profiles): void {
  const stats = profiles.cache.stats();
  into.memoryHits += stats.memory.hits;
  into.redisHits += stats.redis.hits;
  into.loaderKeys += stats.loader.keys;
}

const SHARED_RELEASE = (): Promise<void> => Promise.resolve();

/**
 * Hands rooms their profile cache, in one of two modes that the dashboard switches between:
 * the story's fix (one shared cache) and the story's bug (a cache per room, eagerly
 * preallocated). Tracks every own cache alive so their memory can be shown and reclaimed.
 */
export class CacheModes {
  #mode: CacheMode;
  #shared: Profiles;
  #sharedLease: CacheLease;
  #createOwn: (rid: string) => OwnCache;
  #maxOwn: number;
  #own = new Set<OwnCache>();
  #ownCreated = 0;
  #ownRefused = 0;
  /** Counters of own caches already closed, so totals never go backwards. */
  #retired: CacheTotals = { memoryHits: 0, redisHits: 0, loaderKeys: 0 };

  constructor(options: CacheModesOptions) {
    this.#shared = options.shared;
    this.#createOwn = options.createOwn;
    this.#maxOwn = options.maxOwn ?? 128;
    this.#mode = options.mode ?? 'shared';
    this.#sharedLease = { mode: 'shared', profiles: this.#shared, release: SHARED_RELEASE };
  }

  /** The current mode: it decides the cache of rooms created from now on. */
  get mode(): CacheMode {
    return this.#mode;
  }

  set mode(mode: CacheMode) {
    if (mode !== 'shared' && mode !== 'per-room') {
      throw new InvalidArgumentError(`Cache mode must be "shared" or "per-room", got "${mode}"`);
    }
    this.#mode = mode;
  }

  /** The shared cache. */
  get shared(): Profiles {
    return this.#shared;
  }

  /** Own caches alive now, created since start, and refused because `maxOwn` was reached. */
  stats(): { live: number; created: number; refused: number; maxOwn: number } {
    return {
      live: this.#own.size,
      created: this.#ownCreated,
      refused: this.#ownRefused,
      maxOwn: this.#maxOwn,
    };
  }

  /** Reads answered by memory, by Redis and by SQLite, over the shared cache and every own cache. */
  totals(): CacheTotals {
    const totals = { ...this.#retired };
    addStats(totals, this.#shared);
    for (const own of this.#own) addStats(totals, own.profiles);
    return totals;
  }

  /** The live own caches (bug mode), for stats. */
  ownCaches(): OwnCache[] {
    return [...this.#own];
  }

  /** A cache for the room `rid`: the shared one, or in `per-room` mode a new one of its own. */
  lease(rid: string): CacheLease {
    if (this.#mode === 'shared') return this.#sharedLease;
    if (this.#own.size >= this.#maxOwn) {
      this.#ownRefused++;
      return this.#sharedLease;
    }
    const own = this.#createOwn(rid);
    this.#own.add(own);
    this.#ownCreated++;
    let released = false;
    return {
      mode: 'per-room',
      profiles: own.profiles,
      release: async () => {
        if (released) return;
        released = true;
        addStats(this.#retired, own.profiles);
        this.#own.delete(own);
        await own.close();
      },
    };
  }
}
