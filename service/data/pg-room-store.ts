import pg from 'pg';
import { InvalidOptionError } from 'tiercache/errors';
import {
  type ClaimedRoom,
  type KeyedResult,
  type RoomLogEntry,
  type RoomStore,
  type RoomWrite,
  StaleLeaseError,
} from './room-store.ts';
import { WriteBatcher } from './write-batcher.ts';

/** Options of a {@link PgRoomStore}. */
export interface PgRoomStoreOptions {
  /** `postgres://…` URL (`DATABASE_URL`). */
  url: string;
  /** Schema holding the tables, created if missing. @default 'public' */
  schema?: string;
  /** Connections in the pool. @default 8 */
  poolSize?: number;
  /**
   * PostgreSQL ends a session that stays inside a transaction without a word for this long, in
   * ms (`idle_in_transaction_session_timeout`): a node frozen mid-commit must not hold its rooms'
   * fence rows locked, or no new owner could claim them until it resumed. Keep it below the
   * lease time. @default 1_000
   */
  transactionIdleMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function schemaSql(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.room_fence (
  rid   TEXT PRIMARY KEY,
  token BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.room_log (
  rid    TEXT NOT NULL,
  seq    BIGINT NOT NULL,
  token  BIGINT NOT NULL,
  node   TEXT NOT NULL,
  key    TEXT,
  change TEXT NOT NULL,
  result TEXT,
  at     BIGINT NOT NULL,
  PRIMARY KEY (rid, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS room_log_key ON ${schema}.room_log (rid, key) WHERE key IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${schema}.room_snapshot (
  rid   TEXT PRIMARY KEY,
  seq   BIGINT NOT NULL,
  token BIGINT NOT NULL,
  state TEXT NOT NULL
);`;
}

interface LogRow {
  rid: string;
  seq: string;
  token: string;
  node: string;
  key: string | null;
  change: string;
  result: string | null;
  at: string;
}

function toEntry(row: LogRow): RoomLogEntry {
  return {
    rid: row.rid,
    seq: Number(row.seq),
    token: Number(row.token),
    node: row.node,
    key: row.key,
    change: row.change,
    result: row.result,
    at: Number(row.at),
  };
}

/**
 * The room store shared by several nodes, in PostgreSQL (`pg`). A claim raises the room's
 * fence row (`UPDATE … WHERE token < new`, a row lock); a batch of writes locks the fence rows
 * of its rooms `FOR SHARE`, so it either commits before a claim reads the room or sees the new
 * token and is refused: a stale owner's write can never land after the new owner loaded.
 */
export class PgRoomStore implements RoomStore {
  readonly kind = 'postgres' as const;
  #pool: pg.Pool;
  #schema: string;
  #ready: Promise<void>;
  #batcher: WriteBatcher;
  #closed = false;

  constructor(options: PgRoomStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(schema)) {
      throw new InvalidOptionError('schema', `"${schema}" must match ${SCHEMA_NAME}`);
    }
    this.#schema = schema;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: 5_000,
      options: `-c idle_in_transaction_session_timeout=${options.transactionIdleMs ?? 1_000}`,
    });
    // A dropped idle connection is replaced by the pool; without a listener it would crash.
    this.#pool.on('error', () => undefined);
    this.#ready = this.#createTables();
    // Keep the rejection observable by callers without an unhandled-rejection crash here.
    this.#ready.catch(() => undefined);
    this.#batcher = new WriteBatcher((writes) => this.#commit(writes));
  }

  async #createTables(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      // Nodes starting together would race on CREATE … IF NOT EXISTS (a unique violation in
      // the catalog): one at a time, under a transaction-scoped advisory lock.
      await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(hashtext('tiercache-rooms:${this.#schema}'));${schemaSql(this.#schema)} COMMIT;`,
      );
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Resolves once the tables exist; rejects when the database cannot be reached. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.#ready;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  claim(rid: string, token: number | undefined, keyWindow: number): Promise<ClaimedRoom> {
    const s = this.#schema;
    return this.#transaction(async (c) => {
      const fenced =
        token === undefined
          ? await c.query<{ token: string }>(
              `INSERT INTO ${s}.room_fence (rid, token) VALUES ($1, 1)
               ON CONFLICT (rid) DO UPDATE SET token = ${s}.room_fence.token + 1 RETURNING token`,
              [rid],
            )
          : await c.query<{ token: string }>(
              `INSERT INTO ${s}.room_fence (rid, token) VALUES ($1, $2)
               ON CONFLICT (rid) DO UPDATE SET token = EXCLUDED.token
               WHERE ${s}.room_fence.token < EXCLUDED.token RETURNING token`,
              [rid, token],
            );
      if (fenced.rows.length === 0) {
        const cur = await c.query<{ token: string }>(
          `SELECT token FROM ${s}.room_fence WHERE rid = $1`,
          [rid],
        );
        throw new StaleLeaseError(rid, token ?? 0, Number(cur.rows[0]?.token));
      }
      const snap = await c.query<{ seq: string; state: string }>(
        `SELECT seq, state FROM ${s}.room_snapshot WHERE rid = $1`,
        [rid],
      );
      const snapshot =
        snap.rows[0] === undefined
          ? undefined
          : { seq: Number(snap.rows[0].seq), state: snap.rows[0].state };
      const last = await c.query<{ last: string | null }>(
        `SELECT max(seq) AS last FROM ${s}.room_log WHERE rid = $1`,
        [rid],
      );
      const lastSeq = Number(last.rows[0]?.last ?? 0);
      const log = await c.query<LogRow>(
        `SELECT rid, seq, token, node, key, change, result, at FROM ${s}.room_log
         WHERE rid = $1 AND seq > $2 ORDER BY seq`,
        [rid, snapshot?.seq ?? 0],
      );
      const keys = await c.query<{ key: string; result: string | null; seq: string }>(
        `SELECT key, result, seq FROM ${s}.room_log
         WHERE rid = $1 AND seq > $2 AND key IS NOT NULL ORDER BY seq`,
        [rid, Math.max(0, lastSeq - keyWindow)],
      );
      return {
        token: Number(fenced.rows[0]!.token),
        snapshot,
        log: log.rows.map(toEntry),
        keys: keys.rows.map((k): KeyedResult => ({ ...k, seq: Number(k.seq) })),
        lastSeq,
      };
    });
  }

  async #commit(writes: RoomWrite[]): Promise<(Error | undefined)[]> {
    const s = this.#schema;
    return this.#transaction(async (c) => {
      const rids = [...new Set(writes.map((w) => (w.kind === 'entry' ? w.entry.rid : w.rid)))];
      // FOR SHARE: a concurrent claim (an UPDATE of the row) waits for this batch to commit,
      // and this batch, had the claim committed first, reads the claim's token.
      const fence = await c.query<{ rid: string; token: string }>(
        `SELECT rid, token FROM ${s}.room_fence WHERE rid = ANY($1) FOR SHARE`,
        [rids],
      );
      const tokens = new Map(fence.rows.map((r) => [r.rid, Number(r.token)]));
      const outcomes: (Error | undefined)[] = [];
      const cols = {
        rid: [] as string[],
        seq: [] as number[],
        token: [] as number[],
        node: [] as string[],
        key: [] as (string | null)[],
        change: [] as string[],
        result: [] as (string | null)[],
        at: [] as number[],
      };
      const snapshots = new Map<string, { seq: number; token: number; state: string }>();
      for (const write of writes) {
        const rid = write.kind === 'entry' ? write.entry.rid : write.rid;
        const token = write.kind === 'entry' ? write.entry.token : write.token;
        const current = tokens.get(rid);
        if (current !== token) {
          outcomes.push(new StaleLeaseError(rid, token, current));
          continue;
        }
        if (write.kind === 'entry') {
          const e = write.entry;
          cols.rid.push(e.rid);
          cols.seq.push(e.seq);
          cols.token.push(e.token);
          cols.node.push(e.node);
          cols.key.push(e.key);
          cols.change.push(e.change);
          cols.result.push(e.result);
          cols.at.push(e.at);
        } else {
          const prev = snapshots.get(rid);
          if (prev === undefined || prev.seq < write.seq) snapshots.set(rid, write);
        }
        outcomes.push(undefined);
      }
      if (cols.rid.length > 0) {
        await c.query(
          `INSERT INTO ${s}.room_log (rid, seq, token, node, key, change, result, at)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::bigint[])`,
          [cols.rid, cols.seq, cols.token, cols.node, cols.key, cols.change, cols.result, cols.at],
        );
      }
      for (const [rid, snap] of snapshots) {
        await c.query(
          `INSERT INTO ${s}.room_snapshot (rid, seq, token, state) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rid) DO UPDATE SET seq = EXCLUDED.seq, token = EXCLUDED.token,
             state = EXCLUDED.state WHERE ${s}.room_snapshot.seq < EXCLUDED.seq`,
          [rid, snap.seq, snap.token, snap.state],
        );
      }
      return outcomes;
    });
  }

  write(write: RoomWrite): Promise<void> {
    return this.#batcher.write(write);
  }

  async findKey(rid: string, key: string): Promise<{ result: string | null } | undefined> {
    await this.#ready;
    const found = await this.#pool.query<{ result: string | null }>(
      `SELECT result FROM ${this.#schema}.room_log WHERE rid = $1 AND key = $2`,
      [rid, key],
    );
    return found.rows[0];
  }

  async entries(rid: string): Promise<RoomLogEntry[]> {
    await this.#ready;
    const found = await this.#pool.query<LogRow>(
      `SELECT rid, seq, token, node, key, change, result, at FROM ${this.#schema}.room_log
       WHERE rid = $1 ORDER BY seq`,
      [rid],
    );
    return found.rows.map(toEntry);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher.drain();
    await this.#pool.end();
  }
}
