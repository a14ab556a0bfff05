/**
 * The Redis tier: every command goes through one place that applies the circuit breaker and a
 * hard per-command timeout, so a stopped, paused or unreachable server costs a caller at most
 * `timeoutMs`. Multi-key reads are one `MGET` per cluster slot group (one group on a standalone
 * server), each group cut into chunks of `batchSize` keys, all sent in parallel; writes are
 * pipelined the same way.
 *
 * @module
 */
import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { CacheClosedError, CircuitOpenError, RedisError, RedisTimeoutError } from '../errors.ts';
import type { Breaker } from './breaker.ts';
import { mgetBuffer } from './mget-command.ts';

/** An ioredis client: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Settings of a {@link RedisTier}. */
export interface RedisTierOptions {
  client: RedisClient;
  timeoutMs: number;
  batchSize: number;
  breaker: Breaker | null;
  /**
   * Called once per failed command (never for commands the open breaker skipped, nor for those
   * sent with `report: false`).
   */
  report: (operation: string, error: RedisError) => void;
  /** Name used in `CacheClosedError` messages. */
  name: string;
}

/** An entry as read from Redis: bytes, or their UTF-8 decoding for text codecs. */
export type RawEntry = Buffer | string;

/** One write of a pipelined batch: full key, bytes, lifetime in ms (0 = no expiry). */
export type RedisWrite = readonly [key: string, value: RawEntry, ttlMs: number];

/** `deadline` value meaning "none": the command gets the tier's whole `timeoutMs`. */
export const NO_DEADLINE = 0;

/**
 * `deadline` value meaning "already spent": the command is sent detached and the caller is
 * answered at once (for the bus message of a write that already failed).
 */
export const DETACHED = -1;

interface Pending {
  timer: NodeJS.Timeout;
  reject: (error: Error) => void;
}

/** Timed, breaker-guarded access to one ioredis client that the tier does not own. */
export class RedisTier {
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #breaker: Breaker | null;
  readonly #report: (operation: string, error: RedisError) => void;
  readonly #name: string;
  readonly #pending = new Set<Pending>();
  #closed = false;
  #skipped = 0;

  constructor(options: RedisTierOptions) {
    this.#client = options.client;
    this.#timeoutMs = options.timeoutMs;
    this.#batchSize = options.batchSize;
    this.#breaker = options.breaker;
    this.#report = options.report;
    this.#name = options.name;
  }

  /**
   * Reads many keys; the result is aligned with `keys`: the stored entry's bytes, `null` for a
   * key Redis does not hold, `undefined` for a key whose command failed, timed out or was
   * skipped. Never throws. Always bytes, for text codecs too: ioredis parses every bulk reply
   * into a Buffer, and a text command would only add a `toString` per entry.
   */
  async mget(keys: readonly string[]): Promise<Array<Buffer | null | undefined>> {
    const read = (batch: string[]) =>
      this.#call<Array<Buffer | null>>('MGET', () => mgetBuffer(this.#client, batch));
    if (!this.#client.isCluster && keys.length <= this.#batchSize) {
      // The common case, without index bookkeeping: one MGET, result already aligned.
      try {
        return await read(keys as string[]);
      } catch {
        return new Array(keys.length).fill(undefined);
      }
    }
    const out = new Array<Buffer | null | undefined>(keys.length).fill(undefined);
    await Promise.all(
      this.#groups(keys, 'slot').map(async (indices) => {
        try {
          const values = await read(indices.map((i) => keys[i]!));
          for (let j = 0; j < indices.length; j++) out[indices[j]!] = values[j] ?? null;
        } catch {
          // Already reported by #call; these keys stay `undefined` and fall through to the loader.
        }
      }),
    );
    return out;
  }

  /** Reads one key, as {@link mget} does for many. */
  async get(key: string): Promise<Buffer | null | undefined> {
    try {
      return await this.#call<Buffer | null>('GET', () => this.#client.getBuffer(key));
    } catch {
      return undefined;
    }
  }

  /**
   * Writes entries with `SET ... PX`, one pipeline per cluster node; throws if any write failed.
   * `onlyIfAbsent` adds `NX`: a key that is there already (a newer write) is left as it is.
   */
  async setMany(
    writes: readonly RedisWrite[],
    onlyIfAbsent = false,
    deadline = NO_DEADLINE,
  ): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length === 1) {
      const [key, value, ttlMs] = writes[0]!;
      await this.#call(
        'SET',
        () => setCommand(this.#client, key, value, ttlMs, onlyIfAbsent),
        deadline,
      );
      return;
    }
    const groups = this.#groups(
      writes.map((w) => w[0]),
      'node',
    );
    const results = await Promise.allSettled(
      groups.map((indices) =>
        this.#call(
          'SET (pipeline)',
          async () => {
            const pipeline = this.#client.pipeline();
            for (const i of indices) {
              const [key, value, ttlMs] = writes[i]!;
              pipelineSet(pipeline, key, value, ttlMs, onlyIfAbsent);
            }
            const replies = (await pipeline.exec()) ?? [];
            const failed = replies.find(([error]) => error);
            if (failed) throw failed[0];
          },
          deadline,
        ),
      ),
    );
    throwFirstRejection(results);
  }

  /**
   * Deletes keys, one `DEL` per slot group; throws if any group failed. `report: false` for a
   * command of an operation whose failure was already reported (see {@link publish}).
   */
  async del(keys: readonly string[], deadline = NO_DEADLINE, report = true): Promise<void> {
    if (keys.length === 0) return;
    const results = await Promise.allSettled(
      this.#groups(keys, 'slot').map((indices) =>
        this.#call('DEL', () => this.#client.del(indices.map((i) => keys[i]!)), deadline, report),
      ),
    );
    throwFirstRejection(results);
  }

  /**
   * Deletes every key that starts with `prefix` (`SCAN MATCH` + `UNLINK`, which frees the values
   * off Redis's main thread), on every master of a cluster, `batchSize` keys (at most 1000) per
   * `SCAN` step, each step's keys unlinked before the next step starts; each command is timed
   * and breaker-guarded like any other. Returns the number of keys unlinked; throws when a
   * command failed (keys unlinked until then stay deleted).
   */
  async unlinkPrefix(prefix: string): Promise<number> {
    const client = this.#client;
    // ioredis adds its `keyPrefix` to UNLINK's keys but not to SCAN's pattern or replies.
    const keyPrefix = client.options.keyPrefix ?? '';
    const pattern = `${escapeGlob(keyPrefix + prefix)}*`;
    const count = Math.min(1000, this.#batchSize);
    const nodes: Redis[] = client.isCluster
      ? (client as Cluster).nodes('master')
      : [client as Redis];
    let unlinked = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await this.#call('SCAN', () =>
          node.scan(cursor, 'MATCH', pattern, 'COUNT', count),
        );
        cursor = next;
        if (found.length === 0) continue;
        const keys = keyPrefix === '' ? found : found.map((key) => key.slice(keyPrefix.length));
        const results = await Promise.allSettled(
          this.#groups(keys, 'slot').map((indices) =>
            this.#call('UNLINK', () => client.unlink(...indices.map((i) => keys[i]!))),
          ),
        );
        throwFirstRejection(results);
        unlinked += keys.length;
      } while (cursor !== '0' && !this.#closed);
    }
    return unlinked;
  }

  /**
   * Publishes one message on a channel; throws on failure. `report: false` when the operation
   * already reported its failure (a write Redis did not take): one failed write is one `error`
   * event, not one per command it was made of. The breaker still counts the failure.
   */
  async publish(
    channel: string,
    message: string,
    deadline = NO_DEADLINE,
    report = true,
  ): Promise<void> {
    await this.#call('PUBLISH', () => this.#client.publish(channel, message), deadline, report);
  }

  /**
   * A deadline for one operation made of several commands (a write, then its bus message): pass
   * it to each, and together they wait at most `timeoutMs`, not `timeoutMs` each.
   */
  deadline(): number {
    return performance.now() + this.#timeoutMs;
  }

  /** Commands not sent because the breaker was open. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Stops waiting for every command in flight (they reject with `CacheClosedError`). */
  close(): void {
    this.#closed = true;
    for (const pending of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new CacheClosedError(this.#name));
    }
    this.#pending.clear();
  }

  /**
   * Index groups of `keys` that one command may carry, cut to `batchSize` so no single command
   * blocks Redis's event loop for long or builds a huge reply. On a cluster, `by: 'slot'` groups
   * per slot (multi-key commands must not span slots); `by: 'node'` per master, which is what a
   * cluster pipeline needs (all its keys on one node), so a back-fill is a few pipelines, not
   * one per slot.
   */
  #groups(keys: readonly string[], by: 'slot' | 'node'): number[][] {
    const groups = new Map<number | string, number[]>();
    const client = this.#client;
    if (client.isCluster) {
      // ioredis adds the client's own `keyPrefix` to every key: the slot is that of the full key.
      const keyPrefix = client.options.keyPrefix ?? '';
      const slots = (client as Cluster).slots;
      for (let i = 0; i < keys.length; i++) {
        const slot = calculateSlot(keyPrefix + keys[i]!);
        // Before ioredis has the slot map, fall back to per-slot groups (always valid).
        const id = by === 'node' ? (slots[slot]?.[0] ?? slot) : slot;
        const group = groups.get(id);
        if (group) group.push(i);
        else groups.set(id, [i]);
      }
    } else {
      groups.set(
        0,
        Array.from(keys, (_, i) => i),
      );
    }
    const out: number[][] = [];
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += this.#batchSize) {
        out.push(
          group.length <= this.#batchSize ? group : group.slice(start, start + this.#batchSize),
        );
      }
    }
    return out;
  }

  /**
   * Runs one command under the breaker and a hard timeout of our own: ioredis's
   * `commandTimeout` does not cover commands queued while it is disconnected or reconnecting.
   * With a `deadline` (see {@link deadline}) the caller waits only until then. A command whose
   * deadline has already passed (the operation's earlier command used it up) is still sent, as
   * a detached command with a timeout of its own whose failure is reported, and the caller is
   * answered at once with a `RedisTimeoutError`: a bus message is worth delivering late, but
   * not worth another wait. `report: false` keeps a failure out of `report` (the breaker still
   * counts it).
   */
  #call<T>(
    operation: string,
    run: () => Promise<T>,
    deadline = NO_DEADLINE,
    report = true,
  ): Promise<T> {
    let timeoutMs = this.#timeoutMs;
    if (deadline !== NO_DEADLINE) {
      timeoutMs = Math.ceil(deadline - performance.now());
      if (timeoutMs <= 0) {
        this.#call(operation, run, NO_DEADLINE, report).catch(() => {});
        return Promise.reject(new RedisTimeoutError(operation, this.#timeoutMs));
      }
    }
    if (this.#closed) return Promise.reject(new CacheClosedError(this.#name));
    const breaker = this.#breaker;
    if (breaker && !breaker.allow()) {
      this.#skipped++;
      return Promise.reject(new CircuitOpenError(operation));
    }
    const generation = breaker?.generation ?? 0;
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        timer: setTimeout(() => {
          this.#pending.delete(pending);
          const error = new RedisTimeoutError(operation, this.#timeoutMs);
          breaker?.failure(generation);
          if (report) this.#report(operation, error);
          reject(error);
        }, timeoutMs),
        reject,
      };
      // A command that never answers must not keep the process alive.
      pending.timer.unref();
      this.#pending.add(pending);
      const settle = (): boolean => {
        if (!this.#pending.delete(pending)) return false;
        clearTimeout(pending.timer);
        return true;
      };
      let promise: Promise<T>;
      try {
        promise = run();
      } catch (cause) {
        promise = Promise.reject(cause);
      }
      promise.then(
        (value) => {
          if (!settle()) return;
          breaker?.success(generation);
          resolve(value);
        },
        (cause: unknown) => {
          if (!settle()) return;
          const message = cause instanceof Error ? cause.message : String(cause);
          const error = new RedisError(`Redis ${operation} failed: ${message}`, { cause });
          breaker?.failure(generation);
          if (report) this.#report(operation, error);
          reject(error);
        },
      );
    });
  }
}

/** Sends one `SET` with its optional `PX` and `NX`. */
function setCommand(
  client: RedisClient,
  key: string,
  value: RawEntry,
  ttlMs: number,
  onlyIfAbsent: boolean,
): Promise<'OK' | null> {
  if (ttlMs > 0) {
    return onlyIfAbsent
      ? client.set(key, value, 'PX', ttlMs, 'NX')
      : client.set(key, value, 'PX', ttlMs);
  }
  return onlyIfAbsent ? client.set(key, value, 'NX') : client.set(key, value);
}

/** Queues one `SET` with its optional `PX` and `NX` on a pipeline. */
function pipelineSet(
  pipeline: ChainableCommander,
  key: string,
  value: RawEntry,
  ttlMs: number,
  onlyIfAbsent: boolean,
): void {
  if (ttlMs > 0) {
    if (onlyIfAbsent) pipeline.set(key, value, 'PX', ttlMs, 'NX');
    else pipeline.set(key, value, 'PX', ttlMs);
  } else if (onlyIfAbsent) pipeline.set(key, value, 'NX');
  else pipeline.set(key, value);
}

/** `text` with Redis glob specials (`* ? [ ] \`) escaped, to match it literally in `SCAN MATCH`. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function throwFirstRejection(results: PromiseSettledResult<unknown>[]): void {
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
