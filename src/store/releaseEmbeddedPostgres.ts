import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import type { Logger } from '../logging/createLogger.js';

export interface EmbeddedServerHandle {
  /** A superuser URL of the server, to count who else is connected. */
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly port: number;
  /**
   * Set in the process that started the server: stops its child, or lets
   * the child outlive this process.
   */
  readonly child?: {
    stop(): Promise<void>;
    detach(): void;
  };
  readonly logger: Logger;
}

const STOP_TIMEOUT_MILLIS = 30_000;

/**
 * What an instance does with the shared embedded PostgreSQL on its way out,
 * once its own connections are closed: stop it if nobody else is connected,
 * else leave it running for those who are. Whichever instance leaves last
 * stops it, whether or not it started it, so no instance loses its database
 * because another one stopped.
 *
 * Known limit: two instances leaving at the same moment may each see the
 * other connected and both leave the server running; the next start finds
 * it and reuses it.
 */
export async function releaseEmbeddedPostgres(
  handle: EmbeddedServerHandle,
): Promise<void> {
  const { logger, dataDir, port } = handle;

  // 1. Who else is connected? Unknown (the server is gone or refuses us)
  //    counts as nobody: there is nothing left to keep running.
  const otherClients = await countOtherClients(handle.adminUrl);
  if (otherClients === undefined) {
    handle.child?.detach();
    return;
  }

  // 2. Others still use it: leave it to them.
  if (otherClients > 0) {
    handle.child?.detach();
    logger.info(
      { port, dataDir, otherClients },
      'embedded PostgreSQL left running for the instances still using it',
    );
    return;
  }

  // 3. The last one out stops it: our own child if we started it, else
  //    the server named in its data directory's postmaster.pid.
  if (handle.child !== undefined) {
    await handle.child.stop();
    return;
  }
  try {
    await stopByPidFile(dataDir, handle.adminUrl);
    logger.info({ port, dataDir }, 'embedded PostgreSQL stopped');
  } catch (err) {
    logger.warn(
      { err, port, dataDir },
      'embedded PostgreSQL left running: it could not be stopped',
    );
  }
}

/** Client connections other than the one asking; undefined if unreachable. */
async function countOtherClients(
  adminUrl: string,
): Promise<number | undefined> {
  const client = new pg.Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ others: number }>(
      `SELECT count(*)::int AS others FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return rows[0]?.others ?? 0;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Fast shutdown (SIGINT) of a server another process started, then waits
 * until it refuses connections.
 */
async function stopByPidFile(dataDir: string, adminUrl: string): Promise<void> {
  const pidFile = await fs.readFile(path.join(dataDir, 'postmaster.pid'), {
    encoding: 'utf8',
  });
  const pid = Number(pidFile.split('\n', 1)[0]);
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(`no server pid in ${dataDir}/postmaster.pid`);
  }
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MILLIS;
  // Refused connections, not "shutting down" ones, mean it has gone.
  while (!(await refusesConnections(adminUrl))) {
    if (Date.now() > deadline) {
      throw new Error(`still running ${STOP_TIMEOUT_MILLIS} ms after SIGINT`);
    }
    await sleep(100);
  }
}

async function refusesConnections(url: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 'ECONNREFUSED';
  } finally {
    await client.end().catch(() => undefined);
  }
}
