import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import { checkOutClient } from '../../src/store/checkOutClient.js';
import { DatabaseUnreachableError } from '../../src/store/DatabaseUnreachableError.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import { freePort } from '../support/pubsubEmulator.js';
import {
  createTestDatabase,
  databaseUrlNamed,
  openTestPool,
  type TestDatabase,
} from '../support/testDatabase.js';
import { rejectionOf } from './storeContract.js';
import { captureLogs } from '../support/captureLogs.js';

describe('PostgresStore.connect', () => {
  it('fails with one line naming DATABASE_URL, without the password, when nothing listens', async () => {
    const port = await freePort();
    const url = `postgres://postgres:sekret@127.0.0.1:${port}/template_feed`;

    const err = await rejectionOf(
      PostgresStore.connect({
        url,
        logger: captureLogs('silent').logger,
        connectionTimeoutMillis: 500,
        startupTimeoutMillis: 1_000,
      }),
    );

    expect(err).toBeInstanceOf(DatabaseUnreachableError);
    const { message } = err as DatabaseUnreachableError;
    expect(message).toMatch(/^DATABASE_URL /);
    expect(message).toContain(`127.0.0.1:${port}/template_feed`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('sekret');
    expect(message).not.toContain('\n');
    expect((err as DatabaseUnreachableError).variable).toBe('DATABASE_URL');
  });

  it('fails at once, without retrying, when the database does not exist', async () => {
    const { logger, lines } = captureLogs('warn');
    const err = await rejectionOf(
      PostgresStore.connect({
        url: databaseUrlNamed('tf_no_such_database'),
        logger,
        startupTimeoutMillis: 60_000,
      }),
    );

    expect(err).toBeInstanceOf(DatabaseUnreachableError);
    expect((err as Error).message).toContain('tf_no_such_database');
    expect(lines.filter((line) => line.message.includes('retrying'))).toEqual(
      [],
    );
  });
});

describe('PostgresStore connection failures', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('tf_store_conn');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('logs idle connections the server dropped, then carries on', async () => {
    const { logger, lines } = captureLogs('warn');
    const store = await PostgresStore.connect({
      url: database.url,
      poolSize: 2,
      logger,
    });
    try {
      await store.ping();

      // The server ends the store's idle connection, as a restart would.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      const { rows } = await admin.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'template-feed'`,
      );
      await admin.end();
      expect(rows.length).toBeGreaterThan(0);

      while (
        !lines.some(
          (line) => line.message === 'idle database connection failed',
        )
      ) {
        await sleep(20);
      }
      const logged = lines.find(
        (line) => line.message === 'idle database connection failed',
      );
      expect(logged?.level).toBe('warn');
      expect(logged?.err).toMatchObject({ type: 'DatabaseError' });
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.getUser('zewi')).not.toBeNull();
    } finally {
      await store.close();
    }
  });

  it('logs a connection dropped while checked out, instead of crashing', async () => {
    const { logger, lines } = captureLogs('warn');
    const pool = openTestPool(database.url, 1);
    try {
      const { client, release } = await checkOutClient(pool, logger);
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pg_backend_pid() AS pid',
      );

      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await admin.end();
      while (
        !lines.some(
          (line) => line.message === 'database connection failed while in use',
        )
      ) {
        await sleep(20);
      }
      release(new Error('terminated by the test'));

      // The pool replaces the destroyed connection.
      const again = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(again.rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
