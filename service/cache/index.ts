/**
 * The room service's profile cache: the {@link Profiles} reads over a TieredCache, the factory
 * that builds the one shared cache (and, in bug mode, a preallocated cache per room), and
 * {@link CacheModes}, which hands each room its cache in the mode the dashboard selected.
 *
 * @module
 */
export {
  type CacheLease,
  type CacheMode,
  CacheModes,
  type CacheModesOptions,
  type CacheTotals,
  type OwnCache,
} from './cache-modes.ts';
export {
  BUG_MODE_SCALE,
  createOwnCache,
  createSharedCache,
  type ProfileCacheConfig,
} from './profile-cache.ts';
export { Profiles } from './profiles.ts';
