import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { InvalidOptionError } from 'tiercache/errors';
import { LuaScript } from './lua-script.ts';
import { RoomMovedError } from './room-moved-error.ts';

/**
 * Who may run which room. `acquire` gives this node the room's lease and a fencing token (or
 * `undefined`: no lease service, the store numbers claims itself); `valid` says, from the local
 * clock alone, whether the lease still holds; a lease that lapses or is taken is reported to
 * `onLost` so the room is dropped.
 */
export interface LeaseManager {
  /** Whether tokens come from a lease service shared by several nodes. */
  readonly shared: boolean;
  /** Takes the room's lease; rejects with {@link RoomMovedError} when another node holds it. */
  acquire(rid: string): Promise<number | undefined>;
  /** Whether this node still holds the lease of `rid` under `token` (local check, no I/O). */
  valid(rid: string, token: number | undefined): boolean;
  /** Gives the lease back (only if it is still this node's under `token`). */
  release(rid: string, token: number | undefined): Promise<void>;
  /** Called with the rid of each lease that lapsed or was taken. */
  onLost(listener: (rid: string, token: number) => void): void;
  /** Stops renewing; leases still held lapse on their own. */
  close(): void;
}

/** One node, no lease service: this node runs every room it is asked to. */
export class LocalLeases implements LeaseManager {
  readonly shared = false;

  acquire(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  valid(): boolean {
    return true;
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  onLost(): void {}

  close(): void {}
}

// The lease value is "token|holder". A holder that already holds it (a room retired here and
// built again before the release landed) still takes a new token: tokens never repeat.
const ACQUIRE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if string.sub(cur, sep + 1) ~= ARGV[1] then return {0, cur} end
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. '|' .. ARGV[1], 'PX', ARGV[2])
return {token, ''}
`);

// Renews each lease still holding the value this node set; returns 1 (renewed) or 0 (lost).
const RENEW = new LuaScript(`
local out = {}
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`);

const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Options of {@link RedisLeases}. */
export interface RedisLeasesOptions {
  /** The client (owned by the caller). */
  redis: Redis;
  /** Key prefix of the cluster. */
  prefix: string;
  /** This node's identity as lease holder: its URL plus a per-start nonce. */
  holder: string;
  /** Lease time in ms; renewed every third of it. */
  leaseMs: number;
}

interface Held {
  token: number;
  value: string;
  /** performance.now() after which this node no longer counts on the lease. */
  validUntil: number;
}

const RENEW_CHUNK = 500;

/**
 * Room leases in Redis: `prefix:lease:{rid}` holds `token|holder` with a PX expiry, and the
 * token comes from `INCR prefix:fence:{rid}`, so every grant of a room's lease has a larger
 * token than the last. Leases are renewed in batches every `leaseMs / 3`. Locally a lease
 * counts as held until the time the grant or renewal was *sent* plus `leaseMs` minus a margin,
 * which ends before Redis expires it: a node frozen past that point finds its lease invalid as
 * soon as it runs again, before it can apply anything.
 */
export class RedisLeases implements LeaseManager {
  readonly shared = true;
  #redis: Redis;
  #prefix: string;
  #holder: string;
  #leaseMs: number;
  #margin: number;
  #held = new Map<string, Held>();
  #listeners: Array<(rid: string, token: number) => void> = [];
  #timer: NodeJS.Timeout;
  #renewing = false;

  constructor(options: RedisLeasesOptions) {
    if (!Number.isInteger(options.leaseMs) || options.leaseMs < 100) {
      throw new InvalidOptionError('LEASE_MS', `must be an integer >= 100, got ${options.leaseMs}`);
    }
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#holder = options.holder;
    this.#leaseMs = options.leaseMs;
    // Room for clock-rate drift and for the time between the local check and the write.
    this.#margin = Math.min(500, Math.floor(options.leaseMs / 5));
    this.#timer = setInterval(() => void this.#renew(), Math.floor(options.leaseMs / 3));
    this.#timer.unref();
  }

  #leaseKey(rid: string): string {
    return `${this.#prefix}:lease:{${rid}}`;
  }

  /** Leases this node holds now. */
  get size(): number {
    return this.#held.size;
  }

  async acquire(rid: string): Promise<number | undefined> {
    const sentAt = performance.now();
    const reply = (await ACQUIRE.run(
      this.#redis,
      [this.#leaseKey(rid), `${this.#prefix}:fence:{${rid}}`],
      [this.#holder, this.#leaseMs],
    )) as [number, string];
    const token = Number(reply[0]);
    if (token === 0) {
      const holder = String(reply[1]).slice(String(reply[1]).indexOf('|') + 1);
      throw new RoomMovedError(rid, `its lease is held by ${holder.replace(/#.*$/, '')}`);
    }
    this.#held.set(rid, {
      token,
      value: `${token}|${this.#holder}`,
      validUntil: sentAt + this.#leaseMs - this.#margin,
    });
    return token;
  }

  valid(rid: string, token: number | undefined): boolean {
    const held = this.#held.get(rid);
    return held !== undefined && held.token === token && performance.now() < held.validUntil;
  }

  async release(rid: string, token: number | undefined): Promise<void> {
    const held = this.#held.get(rid);
    if (held === undefined || held.token !== token) return;
    this.#held.delete(rid);
    await RELEASE.run(this.#redis, [this.#leaseKey(rid)], [held.value]).catch(() => undefined);
  }

  onLost(listener: (rid: string, token: number) => void): void {
    this.#listeners.push(listener);
  }

  #lose(rid: string, held: Held): void {
    if (this.#held.get(rid) !== held) return;
    this.#held.delete(rid);
    for (const listener of this.#listeners) listener(rid, held.token);
  }

  async #renew(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      const now = performance.now();
      const batch: [string, Held][] = [];
      for (const entry of this.#held) {
        // Lapsed locally (this process was frozen, or Redis did not answer in time): gone.
        if (entry[1].validUntil <= now) this.#lose(entry[0], entry[1]);
        else batch.push(entry);
      }
      for (let i = 0; i < batch.length; i += RENEW_CHUNK) {
        const chunk = batch.slice(i, i + RENEW_CHUNK);
        const sentAt = performance.now();
        const result = (await RENEW.run(
          this.#redis,
          chunk.map(([rid]) => this.#leaseKey(rid)),
          [this.#leaseMs, ...chunk.map(([, held]) => held.value)],
        )) as number[];
        chunk.forEach(([rid, held], j) => {
          if (Number(result[j]) === 1) held.validUntil = sentAt + this.#leaseMs - this.#margin;
          else this.#lose(rid, held);
        });
      }
    } catch {
      // Redis unreachable: the leases lapse locally at their time and are reported then.
    } finally {
      this.#renewing = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
