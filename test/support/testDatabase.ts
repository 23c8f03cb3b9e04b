import { randomBytes } from 'node:crypto';

import pg from 'pg';

/**
 * The PostgreSQL server tests use: the machine's own (DESIGN.md, "The
 * machine"), unless TEST_DATABASE_URL names another. Each suite gets a fresh
 * database of its own so suites can run in parallel.
 */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  prefix = 'tf_test',
): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrlNamed(name),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The URL of database `name` on the test server. */
export function databaseUrlNamed(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A pool on a test database, with the 'error' listener every pool of ours
 * has. pg-pool's end() resolves before its connections have said goodbye,
 * so the FORCE in drop() may still terminate one; a pool with no listener
 * would turn that into an unhandled 'error' and fail whichever test runs.
 */
export function openTestPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}
