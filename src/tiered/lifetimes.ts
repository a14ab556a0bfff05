/**
 * How long an entry lives in each tier: one jittered lifetime per write, given to both tiers
 * (memory's cut to `memoryTtlMs`, so memory never outlives Redis), the `graceMs` Redis keeps an
 * entry past it, and the memory lifetime of an entry back-filled from Redis.
 *
 * @module
 */
import { withExpiry } from './envelope.ts';
import type { RawEntry } from './redis-tier.ts';

/** The lifetime options of a cache, in ms (0 = none). */
export interface LifetimeOptions {
  ttlMs: number;
  memoryTtlMs: number;
  negativeTtlMs: number;
  ttlJitter: number;
  graceMs: number;
}

/** A cache's lifetime rules. */
export class Lifetimes {
  readonly #options: LifetimeOptions;
  readonly #hasRedis: boolean;

  constructor(options: LifetimeOptions, hasRedis: boolean) {
    this.#options = options;
    this.#hasRedis = hasRedis;
  }

  /** `ttlMs` shortened at random by up to `ttlJitter` of it, so keys do not all expire together. */
  jitter(ttlMs: number): number {
    const { ttlJitter } = this.#options;
    if (ttlMs === 0 || ttlJitter === 0) return ttlMs;
    return Math.max(1, ttlMs - Math.floor(ttlMs * ttlJitter * Math.random()));
  }

  /** Memory lifetime for an entry living `lifetime` ms in Redis (0 = forever in both). */
  memory(lifetime: number): number {
    const memoryTtl = this.#options.memoryTtlMs;
    if (memoryTtl === 0) return lifetime;
    if (lifetime === 0) return memoryTtl;
    return Math.min(memoryTtl, lifetime);
  }

  /** Memory lifetime of a negative entry. */
  negativeMemory(): number {
    return this.memory(this.#options.negativeTtlMs);
  }

  /** Redis `PX` for an entry living `lifetime` ms (0 = forever): kept `graceMs` past it. */
  redisPx(lifetime: number): number {
    return lifetime === 0 ? 0 : lifetime + this.#options.graceMs;
  }

  /** Whether memory's copy of an entry living `lifetime` ms expires when its source's does. */
  atSource(lifetime: number): boolean {
    return !this.#hasRedis || (lifetime !== 0 && this.memory(lifetime) === lifetime);
  }
}

/** What Redis stores for an entry living `ttlMs` from `now` (0 = forever): behind its expiry. */
export function redisEntry(entry: RawEntry, ttlMs: number, now: number): RawEntry {
  return ttlMs > 0 ? withExpiry(entry, now + ttlMs) : entry;
}

/**
 * Memory lifetime for an entry Redis holds until `expiresAt` (0 = no expiry): `base` (0 = none),
 * cut to what Redis has left; -1 when nothing is left (or the expiry header was malformed).
 */
export function memoryTtlUntil(base: number, expiresAt: number, now: number): number {
  if (expiresAt === 0) return base;
  const left = expiresAt - now;
  if (!(left > 0)) return -1;
  return base === 0 ? left : Math.min(base, left);
}
