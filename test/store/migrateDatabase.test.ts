import type pg from 'pg';

import {
  SEED_LOCATIONS,
  SEED_ORGANIZATIONS,
  SEED_USERS,
} from '../../src/domain/seedData.js';
import { migrateDatabase } from '../../src/store/migrateDatabase.js';
import { ALL_MIGRATIONS } from '../../src/store/migrations/allMigrations.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import {
  createTestDatabase,
  openTestPool,
  type TestDatabase,
} from '../support/testDatabase.js';
import { captureLogs } from '../support/captureLogs.js';

const ALL_VERSIONS = ALL_MIGRATIONS.map((migration) => migration.version);

describe('migrateDatabase', () => {
  let database: TestDatabase;
  const pools: pg.Pool[] = [];

  function openPool(): pg.Pool {
    const pool = openTestPool(database.url, 2);
    pools.push(pool);
    return pool;
  }

  beforeEach(async () => {
    database = await createTestDatabase('tf_migrate');
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await database.drop();
  });

  async function appliedVersions(pool: pg.Pool): Promise<unknown[]> {
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return rows.map((row) => row.version);
  }

  async function fixture(pool: pg.Pool): Promise<unknown> {
    const organizations = await pool.query(
      'SELECT id, name FROM organizations ORDER BY id',
    );
    const locations = await pool.query(
      `SELECT id, name, organization_id AS "organizationId"
       FROM locations ORDER BY id`,
    );
    const users = await pool.query(
      `SELECT id, name, organization_id AS "organizationId",
              location_id AS "locationId"
       FROM users ORDER BY id`,
    );
    return {
      organizations: organizations.rows,
      locations: locations.rows,
      users: users.rows,
    };
  }

  const byId = <T extends { id: string }>(items: readonly T[]): T[] =>
    [...items].sort((a, b) => (a.id < b.id ? -1 : 1));

  const SEED_FIXTURE = {
    organizations: byId(SEED_ORGANIZATIONS),
    locations: byId(SEED_LOCATIONS),
    users: byId(SEED_USERS),
  };

  it('applies every migration once and nothing on a second run', async () => {
    const pool = openPool();
    const { logger } = captureLogs();

    expect(await migrateDatabase(pool, logger)).toEqual({
      applied: ALL_VERSIONS,
    });
    expect(await migrateDatabase(pool, logger)).toEqual({ applied: [] });
    expect(await appliedVersions(pool)).toEqual(ALL_VERSIONS);
  });

  it('is safe when several instances migrate the same database at once', async () => {
    const { logger } = captureLogs('warn');
    const reports = await Promise.all(
      Array.from({ length: 4 }, () => migrateDatabase(openPool(), logger)),
    );

    // Exactly one run did the work; the others waited and found it done.
    expect(reports.filter((r) => r.applied.length > 0)).toEqual([
      { applied: ALL_VERSIONS },
    ]);
    const pool = openPool();
    expect(await appliedVersions(pool)).toEqual(ALL_VERSIONS);
    expect(await fixture(pool)).toEqual(SEED_FIXTURE);
  });

  it('lets several stores start against a new database at the same moment', async () => {
    const { logger } = captureLogs('warn');
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        PostgresStore.connect({ url: database.url, poolSize: 2, logger }),
      ),
    );
    try {
      for (const store of stores) {
        expect(await store.getUser('zowi')).toEqual(SEED_USERS[0]);
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('leaves exactly the seed fixture after seeding twice', async () => {
    const pool = openPool();
    const { logger } = captureLogs('warn');
    await migrateDatabase(pool, logger);
    await migrateDatabase(pool, logger);

    expect(await fixture(pool)).toEqual(SEED_FIXTURE);
  });

  it('puts drifted seed rows back and leaves other rows alone', async () => {
    const pool = openPool();
    const { logger } = captureLogs('warn');
    await migrateDatabase(pool, logger);
    await pool.query(
      `UPDATE organizations SET name = 'Renamed' WHERE id = 'org-1'`,
    );
    await pool.query(`UPDATE users SET location_id = NULL WHERE id = 'zowi'`);
    await pool.query(
      `INSERT INTO users (id, name, organization_id, location_id)
       VALUES ('extra', 'EXTRA', 'org-2', NULL)`,
    );

    await migrateDatabase(pool, logger);

    const { rows } = await pool.query(
      `SELECT id FROM users WHERE id = 'extra'`,
    );
    expect(rows).toEqual([{ id: 'extra' }]);
    await pool.query(`DELETE FROM users WHERE id = 'extra'`);
    expect(await fixture(pool)).toEqual(SEED_FIXTURE);
  });

  it('rolls back every migration of a run when one fails', async () => {
    const pool = openPool();
    const { logger } = captureLogs('silent');
    const migrations = [
      {
        version: 1,
        name: 'good',
        sql: 'CREATE TABLE kept_only_if_all_pass (x int)',
      },
      { version: 2, name: 'bad', sql: 'CREATE TABLE broken (' },
    ];

    await expect(migrateDatabase(pool, logger, migrations)).rejects.toThrow();

    const { rows } = await pool.query(
      `SELECT to_regclass('kept_only_if_all_pass') AS good,
              to_regclass('schema_migrations') AS migrations`,
    );
    expect(rows).toEqual([{ good: null, migrations: null }]);
  });

  it('warns, and carries on, when a newer build has migrated the database', async () => {
    const pool = openPool();
    const { logger, lines } = captureLogs('warn');
    await migrateDatabase(pool, logger);
    await pool.query(
      `INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`,
    );

    expect(await migrateDatabase(pool, logger)).toEqual({ applied: [] });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'database has migrations this build does not know',
        unknownVersions: [999],
      }),
    );
  });
});
