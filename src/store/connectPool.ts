import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import type { Logger } from '../logging/createLogger.js';
import {
  DatabaseUnreachableError,
  describeDatabaseUrl,
} from './DatabaseUnreachableError.js';

export interface ConnectPoolOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly connectionTimeoutMillis: number;
  /** How long to keep retrying a database that does not answer. */
  readonly startupTimeoutMillis: number;
  readonly logger: Logger;
}

const RETRY_DELAY_MILLIS = 500;

/**
 * SQLSTATEs worth waiting out at start-up: the server is starting, shutting
 * down or out of connection slots. Any other SQLSTATE (a wrong password, a
 * missing database) will not fix itself, so start-up fails at once.
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Opens a pool and proves it with one query, retrying network failures for
 * up to `startupTimeoutMillis`. Errors of idle connections (the server
 * restarted, a proxy dropped them) are logged, never thrown: the pool simply
 * opens new connections.
 *
 * @throws DatabaseUnreachableError naming DATABASE_URL.
 */
export async function connectPool(
  options: ConnectPoolOptions,
): Promise<pg.Pool> {
  const { url, logger } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'template-feed',
  });
  pool.on('error', (err) => {
    logger.warn({ err }, 'idle database connection failed');
  });

  const target = describeDatabaseUrl(url);
  const deadline = Date.now() + options.startupTimeoutMillis;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await pool.query('SELECT 1');
      logger.info({ database: target, attempt }, 'database connected');
      return pool;
    } catch (err) {
      const retry =
        isTransient(err) && Date.now() + RETRY_DELAY_MILLIS < deadline;
      if (!retry) {
        await pool.end().catch(() => undefined);
        throw new DatabaseUnreachableError(url, reasonOf(err), { cause: err });
      }
      logger.warn(
        { err, database: target, attempt },
        'database not reachable yet; retrying',
      );
      await sleep(RETRY_DELAY_MILLIS);
    }
  }
}

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // A five-character code is a SQLSTATE from the server; anything else
  // (ECONNREFUSED, a timeout, a DNS failure) is the network.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return TRANSIENT_SQLSTATES.has(code);
  }
  return true;
}

function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Node reports a refused dual-stack connect as an AggregateError.
    return reasonOf(err.errors[0]);
  }
  if (err instanceof Error && err.message !== '') return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(err);
}
