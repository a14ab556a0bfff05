// The PostgreSQL loader of docs/recipes.md against the local PostgreSQL (PG_URL, default
// postgres://postgres@127.0.0.1:5432/test) and the shared Redis: one query per batch of
// missing keys, nothing asked twice, absent ids remembered. Works in a schema of its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `recipe_${randomBytes(4).toString('hex')}`;

interface User {
  id: string;
  name: string;
  email: string;
}

async function skipWithoutPostgres(): Promise<string | false> {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    const reason = `PostgreSQL is not reachable at ${PG_URL} (${(err as Error).message})`;
    if (process.env.CI === 'true')
      throw new Error(`${reason} (CI=true: failing instead of skipping)`);
    console.warn(`\n*** SKIPPING the PostgreSQL recipe: ${reason} ***\n`);
    return reason;
  } finally {
    await probe.end().catch(() => undefined);
  }
}

const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());
let pool: pg.Pool;
let redis: Redis;

before(async () => {
  if (skip) return;
  // The search path puts every pooled connection in this test's schema.
  pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query('CREATE TABLE users (id bigint PRIMARY KEY, name text, email text)');
  await pool.query(
    "INSERT INTO users SELECT i, 'user ' || i, 'u' || i || '@example.com' FROM generate_series(1, 100) i",
  );
  redis = sharedRedis();
});

after(async () => {
  if (skip) return;
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
  redis.disconnect();
});

test('one query per batch of missing ids; hits and absent ids never reach the database', {
  skip,
}, async () => {
  const queries: string[][] = [];
  const users = new TieredCache<User>({
    name: uniquePrefix('recipe-pg'),
    redis,
    load: async (ids) => {
      queries.push([...ids]);
      const { rows } = await pool.query<User>(
        'SELECT id::text, name, email FROM users WHERE id = ANY($1::bigint[])',
        [ids],
      );
      return new Map(rows.map((row) => [row.id, row]));
    },
    negativeTtlMs: 30_000,
  });
  try {
    const first = await users.getMany(['1', '2', '999']);
    assert.deepEqual(first, [
      { id: '1', name: 'user 1', email: 'u1@example.com' },
      { id: '2', name: 'user 2', email: 'u2@example.com' },
      undefined,
    ]);
    assert.deepEqual(queries, [['1', '2', '999']]);

    // Memory answers 1 and 2, and 999 is remembered as absent: only 3 reaches PostgreSQL.
    const second = await users.getMany(['1', '2', '3', '999']);
    assert.equal(second[2]?.name, 'user 3');
    assert.equal(second[3], undefined);
    assert.deepEqual(queries, [['1', '2', '999'], ['3']]);

    // After an UPDATE, write the new row through; the next read sees it without a query.
    await pool.query("UPDATE users SET name = 'Ada' WHERE id = 1");
    await users.set('1', { id: '1', name: 'Ada', email: 'u1@example.com' });
    assert.equal((await users.get('1'))?.name, 'Ada');
    assert.equal(queries.length, 2);
    await users.deleteMany(['1', '2', '3', '999']);
  } finally {
    await users.close();
  }
});
