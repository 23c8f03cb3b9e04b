import type pg from 'pg';

import type { Logger } from '../logging/createLogger.js';

/** A pooled connection held by one caller until `release`. */
export interface CheckedOutClient {
  readonly client: pg.PoolClient;
  /**
   * Returns the connection to the pool, or destroys it when `broken` is
   * given (a failed rollback, a timed-out query).
   */
  readonly release: (broken?: Error) => void;
}

/**
 * Takes a connection from the pool with an error listener of its own. The
 * pool listens only on idle connections; one that fails while checked out
 * (the server restarts mid-query) would otherwise emit 'error' with nobody
 * listening, and that crashes the process.
 */
export async function checkOutClient(
  pool: pg.Pool,
  logger: Logger,
): Promise<CheckedOutClient> {
  const client = await pool.connect();
  const onError = (err: Error): void => {
    logger.warn({ err }, 'database connection failed while in use');
  };
  client.on('error', onError);
  return {
    client,
    release: (broken) => {
      client.off('error', onError);
      client.release(broken);
    },
  };
}
