import type pg from 'pg';

import type { Logger } from '../logging/createLogger.js';

/**
 * Runs `work` inside BEGIN ... COMMIT on one pooled connection, rolling back
 * when it throws. A connection that failed is destroyed instead of going back
 * to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  logger: Logger,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // The pool listens for errors only on idle connections; one that fails
  // while checked out would emit 'error' with no listener and crash us.
  const onError = (err: Error): void =>
    logger.warn({ err }, 'database connection failed during a transaction');
  client.on('error', onError);
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
    client.off('error', onError);
    client.release(broken);
  }
}
