import type { TieredCache } from 'tiercache';
import { profileKey, type UserProfile } from '../data/index.ts';

/**
 * User profiles read through a TieredCache, the two ways the story's go2cache read them: a batch
 * (a room's member list) with `getMany`, memory first; a single profile with `get`, Redis
 * first (`read: 'fresh'`), so a profile just changed on another node is seen at once.
 */
export class Profiles {
  readonly cache: TieredCache<UserProfile>;

  constructor(cache: TieredCache<UserProfile>) {
    this.cache = cache;
  }

  /** The profiles of `ids`, in order (undefined for an unknown id), memory first. */
  many(ids: readonly number[]): Promise<(UserProfile | undefined)[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.cache.getMany(ids.map(profileKey));
  }

  /** One profile, Redis first (memory only when there is no Redis). */
  one(id: number): Promise<UserProfile | undefined> {
    return this.cache.get(profileKey(id), { read: 'fresh' });
  }
}
