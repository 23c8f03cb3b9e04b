import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import type { Logger } from '../logging/createLogger.js';
import { acquireLockFile } from './acquireLockFile.js';
import {
  findPostgresBinaries,
  postgresOsUser,
} from './embeddedPostgresHost.js';
import {
  controlServer,
  initialiseCluster,
  startServer,
  stopServer,
  type EmbeddedServerSetup,
} from './embeddedPostgresServer.js';
import { releaseEmbeddedPostgres } from './releaseEmbeddedPostgres.js';
import type { PostgresProgram } from './spawnPostgresProgram.js';

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives (config.database.embeddedDataDir). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** The loopback port it listens on (config.database.embeddedPort). */
  readonly port: number;
  /** The database to create and connect to. Default `template_feed`. */
  readonly database?: string;
  /** How long to wait for another process starting it. Default 120_000. */
  readonly lockTimeoutMillis?: number;
  /** How long the server may take to accept connections. Default 60_000. */
  readonly startTimeoutMillis?: number;
}

export interface RunningEmbeddedPostgres {
  /** A postgres:// URL of the database, for PostgresStore and the bus. */
  readonly url: string;
  /** True only in the process that started the server. */
  readonly startedHere: boolean;
  /**
   * Call once this process's own connections are closed: stops the server
   * when no other client is connected, whoever started it, and otherwise
   * leaves it running for them (see releaseEmbeddedPostgres). Safe to call
   * more than once.
   */
  stop(): Promise<void>;
}

// Development only: the server listens on 127.0.0.1 alone, and production
// refuses to start without DATABASE_URL.
const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * The PostgreSQL local instances share when DATABASE_URL is unset: one
 * cluster under `dataDir` on a fixed port. The first process to arrive
 * initialises and starts it, under a lock file beside the data directory, so
 * instances starting at the same moment never initialise twice; the others
 * find it running and just connect. The server runs in its own process group
 * so that a Ctrl-C reaches it only through `stop()`, after the instances
 * have drained.
 *
 * Whichever instance stops last stops the server, so no instance loses its
 * database because the one that started it has gone.
 *
 * @throws when the port is served by some other PostgreSQL (the message
 * names EMBEDDED_PG_PORT), or the server cannot be initialised or started
 * (with its last lines of output).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningEmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const { port } = options;
  const database = options.database ?? 'template_feed';
  const startTimeoutMillis = options.startTimeoutMillis ?? 60_000;
  const { logger } = options;
  const url = urlFor(port, database);
  const adminUrl = urlFor(port, 'postgres');
  const release = (
    child?: ReturnType<typeof controlServer>,
  ): (() => Promise<void>) => {
    let released: Promise<void> | undefined;
    return () => {
      released ??= releaseEmbeddedPostgres({
        adminUrl,
        dataDir,
        port,
        child,
        logger,
      });
      return released;
    };
  };
  const reused: RunningEmbeddedPostgres = {
    url,
    startedHere: false,
    stop: release(),
  };

  // 1. Already running and set up: just connect.
  const first = await probe(url);
  if (first.state === 'ready') {
    await assertServes(first.dataDirectory, dataDir, port);
    logger.info({ port, dataDir }, 'embedded PostgreSQL already running');
    return reused;
  }

  // 2. One process at a time past here.
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const releaseLock = await acquireLockFile(`${dataDir}.lock`, {
    logger,
    timeoutMillis: options.lockTimeoutMillis,
  });
  let server: PostgresProgram | undefined;
  try {
    // 3. Look again: whoever held the lock may have started it.
    const found = await probeSettled(adminUrl, startTimeoutMillis);
    if (found.state === 'ready') {
      await assertServes(found.dataDirectory, dataDir, port);
    } else if (found.state === 'down') {
      const setup: EmbeddedServerSetup = {
        dataDir,
        port,
        user: USER,
        password: PASSWORD,
        binaries: await findPostgresBinaries(),
        osUser: await postgresOsUser(logger),
        logger,
      };
      if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
        await initialiseCluster(setup);
      }
      server = await startServer(
        setup,
        async () => (await probe(adminUrl)).state === 'ready',
        startTimeoutMillis,
      );
    } else {
      throw new Error(
        `port ${port} answers, but not as the embedded PostgreSQL of ` +
          `${dataDir} (${found.reason}): choose another port with ` +
          'EMBEDDED_PG_PORT, or set DATABASE_URL',
      );
    }

    // 4. The database the service uses.
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    if (server !== undefined) await stopServer(server, logger);
    throw err;
  } finally {
    await releaseLock();
  }

  if (server === undefined) {
    logger.info({ port, dataDir }, 'embedded PostgreSQL already running');
    return reused;
  }
  logger.info({ port, dataDir }, 'embedded PostgreSQL started');
  return {
    url,
    startedHere: true,
    stop: release(controlServer(server, logger)),
  };
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

type Probe =
  | { readonly state: 'ready'; readonly dataDirectory: string }
  | { readonly state: 'down' }
  | { readonly state: 'starting' }
  | { readonly state: 'refused'; readonly reason: string };

/** Whether a server answers at `url`, and from which data directory. */
async function probe(url: string): Promise<Probe> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ directory: string }>(
      `SELECT current_setting('data_directory') AS directory`,
    );
    return { state: 'ready', dataDirectory: rows[0]?.directory ?? '' };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return { state: 'down' };
    if (code === '57P03') return { state: 'starting' };
    const reason = err instanceof Error ? err.message : String(err);
    return { state: 'refused', reason };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Like probe, but waits out a server that is still starting. */
async function probeSettled(
  url: string,
  timeoutMillis: number,
): Promise<Exclude<Probe, { state: 'starting' }>> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const found = await probe(url);
    if (found.state !== 'starting') return found;
    if (Date.now() > deadline) {
      return {
        state: 'refused',
        reason: `still starting after ${timeoutMillis} ms`,
      };
    }
    await sleep(100);
  }
}

/**
 * Refuses a server on our port that runs from another data directory (the
 * machine's own PostgreSQL, another checkout's): we would otherwise create
 * our database in it.
 */
async function assertServes(
  served: string,
  dataDir: string,
  port: number,
): Promise<void> {
  const canonical = (directory: string): Promise<string> =>
    fs.realpath(directory).catch(() => path.resolve(directory));
  if ((await canonical(served)) !== (await canonical(dataDir))) {
    throw new Error(
      `port ${port} is served by the PostgreSQL of ${served}, not the ` +
        `embedded one of ${dataDir}: choose another port with ` +
        'EMBEDDED_PG_PORT, or set DATABASE_URL',
    );
  }
}

async function ensureDatabase(
  adminUrl: string,
  database: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query(
      'SELECT 1 FROM pg_database WHERE datname = $1',
      [database],
    );
    if (rowCount === 0) {
      await client.query(
        `CREATE DATABASE ${client.escapeIdentifier(database)}`,
      );
    }
  } finally {
    await client.end();
  }
}
