import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type ClaimedRoom,
  type KeyedResult,
  type RoomLogEntry,
  type RoomStore,
  type RoomWrite,
  StaleLeaseError,
} from './room-store.ts';
import { WriteBatcher } from './write-batcher.ts';

/** Options of a {@link SqliteRoomStore}. */
export interface SqliteRoomStoreOptions {
  /** Path of the SQLite file (its folder is created), or `:memory:`. */
  path: string;
}

/** The tables, shared in shape with the PostgreSQL store. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS room_fence (
  rid   TEXT PRIMARY KEY,
  token INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_log (
  rid    TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  token  INTEGER NOT NULL,
  node   TEXT NOT NULL,
  key    TEXT,
  change TEXT NOT NULL,
  result TEXT,
  at     INTEGER NOT NULL,
  PRIMARY KEY (rid, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS room_log_key ON room_log (rid, key) WHERE key IS NOT NULL;
CREATE TABLE IF NOT EXISTS room_snapshot (
  rid   TEXT PRIMARY KEY,
  seq   INTEGER NOT NULL,
  token INTEGER NOT NULL,
  state TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * The room store of a single node, in SQLite (better-sqlite3): WAL, `synchronous = NORMAL`
 * (a commit survives the process being killed; only the OS crashing can lose the last
 * transactions), prepared statements, and one transaction per tick for every room's writes.
 */
export class SqliteRoomStore implements RoomStore {
  readonly kind = 'sqlite' as const;
  #db: Database.Database;
  #batcher: WriteBatcher;
  #fence: Database.Statement<[string], { token: number }>;
  #setFence: Database.Statement<[string, number]>;
  #insert: Database.Statement<
    [string, number, number, string, string | null, string, string | null, number]
  >;
  #snapshot: Database.Statement<[string], { seq: number; state: string }>;
  #saveSnapshot: Database.Statement<[string, number, number, string]>;
  #logAfter: Database.Statement<[string, number], RoomLogEntry>;
  #lastSeq: Database.Statement<[string], { last: number | null }>;
  #keysAfter: Database.Statement<[string, number], KeyedResult>;
  #findKey: Database.Statement<[string, string], { result: string | null }>;
  #claimTx: (rid: string, token: number | undefined, keyWindow: number) => ClaimedRoom;
  #commitTx: (writes: RoomWrite[]) => (Error | undefined)[];
  #closed = false;

  constructor(options: SqliteRoomStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    const db = this.#db;
    this.#fence = db.prepare('SELECT token FROM room_fence WHERE rid = ?');
    this.#setFence = db.prepare(
      'INSERT INTO room_fence (rid, token) VALUES (?, ?) ON CONFLICT (rid) DO UPDATE SET token = excluded.token',
    );
    this.#insert = db.prepare(
      'INSERT INTO room_log (rid, seq, token, node, key, change, result, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#snapshot = db.prepare('SELECT seq, state FROM room_snapshot WHERE rid = ?');
    this.#saveSnapshot = db.prepare(
      `INSERT INTO room_snapshot (rid, seq, token, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (rid) DO UPDATE SET seq = excluded.seq, token = excluded.token, state = excluded.state
       WHERE excluded.seq > room_snapshot.seq`,
    );
    this.#logAfter = db.prepare(
      'SELECT rid, seq, token, node, key, change, result, at FROM room_log WHERE rid = ? AND seq > ? ORDER BY seq',
    );
    this.#lastSeq = db.prepare('SELECT max(seq) AS last FROM room_log WHERE rid = ?');
    this.#keysAfter = db.prepare(
      'SELECT key, result, seq FROM room_log WHERE rid = ? AND seq > ? AND key IS NOT NULL ORDER BY seq',
    );
    this.#findKey = db.prepare('SELECT result FROM room_log WHERE rid = ? AND key = ?');

    this.#claimTx = db.transaction(
      (rid: string, token: number | undefined, keyWindow: number): ClaimedRoom => {
        const current = this.#fence.get(rid)?.token;
        let next: number;
        if (token === undefined) next = (current ?? 0) + 1;
        else if (current !== undefined && token <= current) {
          throw new StaleLeaseError(rid, token, current);
        } else next = token;
        this.#setFence.run(rid, next);
        const snapshot = this.#snapshot.get(rid);
        const lastSeq = this.#lastSeq.get(rid)?.last ?? 0;
        return {
          token: next,
          snapshot,
          log: this.#logAfter.all(rid, snapshot?.seq ?? 0),
          keys: this.#keysAfter.all(rid, Math.max(0, lastSeq - keyWindow)),
          lastSeq,
        };
      },
    ).immediate;

    this.#commitTx = db.transaction((writes: RoomWrite[]) => {
      // One fence read per room per batch.
      const fences = new Map<string, number | undefined>();
      const outcomes: (Error | undefined)[] = [];
      for (const write of writes) {
        const rid = write.kind === 'entry' ? write.entry.rid : write.rid;
        const token = write.kind === 'entry' ? write.entry.token : write.token;
        if (!fences.has(rid)) fences.set(rid, this.#fence.get(rid)?.token);
        const current = fences.get(rid);
        if (current !== token) {
          outcomes.push(new StaleLeaseError(rid, token, current));
          continue;
        }
        if (write.kind === 'entry') {
          const e = write.entry;
          this.#insert.run(e.rid, e.seq, e.token, e.node, e.key, e.change, e.result, e.at);
        } else {
          this.#saveSnapshot.run(write.rid, write.seq, write.token, write.state);
        }
        outcomes.push(undefined);
      }
      return outcomes;
    }).immediate;

    this.#batcher = new WriteBatcher(async (writes) => this.#commitTx(writes));
  }

  claim(rid: string, token: number | undefined, keyWindow: number): Promise<ClaimedRoom> {
    try {
      return Promise.resolve(this.#claimTx(rid, token, keyWindow));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  write(write: RoomWrite): Promise<void> {
    return this.#batcher.write(write);
  }

  findKey(rid: string, key: string): Promise<{ result: string | null } | undefined> {
    return Promise.resolve(this.#findKey.get(rid, key));
  }

  entries(rid: string): Promise<RoomLogEntry[]> {
    return Promise.resolve(this.#logAfter.all(rid, 0));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher.drain();
    this.#db.close();
  }
}
