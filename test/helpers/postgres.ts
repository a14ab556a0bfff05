/**
 * The PostgreSQL that tests use: `TEST_DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`, trust auth). Each test works in a schema of its
 * own with a random suffix and drops it at the end. When the server is unreachable, tests skip
 * with a loud reason, except under `CI=true`, where they fail.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The URL of the test database. */
export const DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Resolves to a `skip` reason when PostgreSQL is unreachable (false when it answers, or under CI). */
export function skipWithoutPostgres(): Promise<string | false> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable.then((ok) => {
    if (ok || process.env.CI === 'true') return false;
    const reason = `PostgreSQL unreachable at ${DATABASE_URL}: skipped (set TEST_DATABASE_URL)`;
    console.warn(reason);
    return reason;
  });
}

/** A schema of one test's own, dropped (with everything in it) by `drop()`. */
export interface TestSchema {
  name: string;
  url: string;
  /** A client on the test database (the caller ends it). */
  client(): pg.Client;
  drop(): Promise<void>;
}

/** Creates an empty schema `prefix_<random>` in the test database. */
export async function createTestSchema(prefix = 'test'): Promise<TestSchema> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: DATABASE_URL,
    client: () => new pg.Client({ connectionString: DATABASE_URL }),
    drop: async () => {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
