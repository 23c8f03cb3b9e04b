import type pg from 'pg';

import type { Logger } from '../logging/createLogger.js';
import { checkOutClient } from './checkOutClient.js';

/**
 * Runs `work` inside BEGIN ... COMMIT on one pooled connection, rolling back
 * when it throws. A connection whose rollback failed is destroyed instead of
 * going back to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  logger: Logger,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const { client, release } = await checkOutClient(pool, logger);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken =
        rollbackError instanceof Error
          ? rollbackError
          : new Error(String(rollbackError));
    });
    throw err;
  } finally {
    release(broken);
  }
}
