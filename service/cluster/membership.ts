import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.ts';

// A sorted set of node URLs scored by when their registration lapses, in Redis's own clock
// (TIME), so the nodes' clocks never have to agree. Each beat drops the lapsed members,
// registers (or, on leave, removes) this one and returns the live list.
const BEAT = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[3] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
return redis.call('ZRANGE', KEYS[1], 0, -1)
`);

/** Options of a {@link RedisMembership}. */
export interface RedisMembershipOptions {
  /** The client (owned by the caller). */
  redis: Redis;
  /** Key prefix of the cluster. */
  prefix: string;
  /** This node's URL, as the others forward to it. */
  self: string;
  /** A member that has not beaten for this long is dropped, in ms; beats every sixth of it. */
  ttlMs: number;
  /** Called with the sorted live members whenever the list changes. */
  onChange: (members: readonly string[]) => void;
}

/**
 * Cluster membership through Redis: every node registers and heartbeats into one sorted set;
 * the live members are those whose registration has not lapsed. The list each node sees is
 * refreshed on every beat; this node is always in its own list.
 */
export class RedisMembership {
  #options: RedisMembershipOptions;
  #members: readonly string[];
  #timer: NodeJS.Timeout | undefined;
  #beating = false;
  #left = false;

  constructor(options: RedisMembershipOptions) {
    this.#options = options;
    this.#members = [options.self];
  }

  #key(): string {
    return `${this.#options.prefix}:members`;
  }

  /** The live members as of the last beat, sorted. */
  get members(): readonly string[] {
    return this.#members;
  }

  /**
   * Registers this node, learns the members, and keeps beating every `ttlMs / 6`. The first
   * beat is retried (a busy Redis or machine at start-up) for up to `max(10 s, 4 x ttlMs)`.
   */
  async start(): Promise<readonly string[]> {
    const deadline = performance.now() + Math.max(10_000, 4 * this.#options.ttlMs);
    for (;;) {
      try {
        await this.#beat();
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(100);
      }
    }
    this.#timer = setInterval(() => void this.#beat().catch(() => undefined), this.#interval());
    this.#timer.unref();
    return this.#members;
  }

  #interval(): number {
    // Often, so a member that dropped out is noticed well within a lease (one small script).
    return Math.max(25, Math.floor(this.#options.ttlMs / 6));
  }

  async #beat(): Promise<void> {
    if (this.#beating || this.#left) return;
    this.#beating = true;
    try {
      const { redis, self, ttlMs } = this.#options;
      const list = (await BEAT.run(redis, [this.#key()], [self, ttlMs, 'beat'])) as string[];
      this.#update(list);
    } finally {
      this.#beating = false;
    }
  }

  #update(list: readonly string[]): void {
    const next = [...new Set([...list, this.#options.self])].sort();
    if (next.length === this.#members.length && next.every((m, i) => m === this.#members[i])) {
      return;
    }
    this.#members = next;
    this.#options.onChange(next);
  }

  /** Removes this node from the members now (graceful shutdown) and stops beating. */
  async leave(): Promise<void> {
    this.#left = true;
    clearInterval(this.#timer);
    const { redis, self, ttlMs } = this.#options;
    await BEAT.run(redis, [this.#key()], [self, ttlMs, 'leave']).catch(() => undefined);
  }
}
