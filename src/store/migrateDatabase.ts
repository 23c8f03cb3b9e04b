import type pg from 'pg';

import type { Logger } from '../logging/createLogger.js';
import { AdvisoryLockKey } from './advisoryLockKeys.js';
import { applySeedData } from './applySeedData.js';
import { ALL_MIGRATIONS } from './migrations/allMigrations.js';
import type { Migration } from './migrations/Migration.js';
import { withTransaction } from './withTransaction.js';

/** What one run of migrateDatabase did. */
export interface MigrationReport {
  /** Versions this run applied, in order; empty when the schema was current. */
  readonly applied: readonly number[];
}

/**
 * Brings the schema up to date and applies the seed fixture, in one
 * transaction under an advisory lock: instances starting together take turns,
 * and the later ones find nothing left to do. A failing migration rolls back
 * everything this run did.
 *
 * @param migrations default: every migration of this build.
 */
export async function migrateDatabase(
  pool: pg.Pool,
  logger: Logger,
  migrations: readonly Migration[] = ALL_MIGRATIONS,
): Promise<MigrationReport> {
  return withTransaction(pool, logger, async (client) => {
    // 1. Wait for any other instance's run; the lock ends with our commit.
    await client.query(
      `SELECT pg_advisory_xact_lock(${AdvisoryLockKey.MIGRATIONS})`,
    );

    // 2. Find what is applied. Under the lock, so two first-ever runs cannot
    // both create the table.
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    const appliedVersions = new Set(rows.map((row) => row.version));
    const known = new Set(migrations.map((migration) => migration.version));
    const unknown = [...appliedVersions].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // A newer build migrated this database (a rolling deploy, or a
      // rollback): migrations are additive, so this build can still run.
      logger.warn(
        { unknownVersions: unknown },
        'database has migrations this build does not know',
      );
    }

    // 3. Apply the missing ones in version order.
    const applied: number[] = [];
    for (const migration of [...migrations].sort(
      (a, b) => a.version - b.version,
    )) {
      if (appliedVersions.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name) VALUES ($1, $2)',
        [migration.version, migration.name],
      );
      applied.push(migration.version);
      logger.info(
        { version: migration.version, migration: migration.name },
        'database migration applied',
      );
    }

    // 4. The fixture, every start, so a drifted seed row is put right.
    await applySeedData(client);
    return { applied };
  });
}
