import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from '../logging/createLogger.js';
import {
  prepareDataDir,
  type PostgresBinaries,
  type PostgresOsUser,
} from './embeddedPostgresHost.js';
import {
  spawnPostgresProgram,
  type PostgresProgram,
} from './spawnPostgresProgram.js';

/** Where and as whom the embedded server runs. */
export interface EmbeddedServerSetup {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly binaries: PostgresBinaries;
  readonly osUser: PostgresOsUser | undefined;
  readonly logger: Logger;
}

const STOP_TIMEOUT_MILLIS = 30_000;

/** Runs initdb on an empty or missing data directory. */
export async function initialiseCluster(
  setup: EmbeddedServerSetup,
): Promise<void> {
  const { dataDir, osUser, logger } = setup;
  const entries = await fs.readdir(dataDir).catch(() => []);
  if (entries.length > 0) {
    throw new Error(
      `${dataDir} is neither empty nor a PostgreSQL data directory: ` +
        'remove it to start afresh',
    );
  }
  await prepareDataDir(dataDir, osUser, logger);

  // initdb reads the password from a file the server's account can read.
  const passwordFile = path.join(
    path.dirname(dataDir),
    `.pwfile-${randomUUID()}`,
  );
  await fs.writeFile(passwordFile, `${setup.password}\n`, { mode: 0o600 });
  try {
    if (osUser !== undefined) {
      await fs.chown(passwordFile, osUser.uid, osUser.gid);
    }
    logger.info({ dataDir }, 'initialising the embedded PostgreSQL');
    const initdb = spawnPostgresProgram(
      setup.binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${setup.user}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
      ],
      { osUser, logger, detached: false },
    );
    const code = await initdb.exited;
    if (code !== 0) {
      throw new Error(
        `initdb failed (exit code ${code}):\n${initdb.recentOutput()}`,
      );
    }
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
  logger.info({ dataDir }, 'embedded PostgreSQL initialised');
}

/**
 * Starts the server and resolves once `isReady` says it accepts
 * connections; stops it again and rejects if it does not within
 * `startTimeoutMillis`, or exits first.
 */
export async function startServer(
  setup: EmbeddedServerSetup,
  isReady: () => Promise<boolean>,
  startTimeoutMillis: number,
): Promise<PostgresProgram> {
  const { dataDir, osUser, logger } = setup;
  await prepareDataDir(dataDir, osUser, logger);
  const server = spawnPostgresProgram(
    setup.binaries.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(setup.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file to place where the server's account can
      // write, and nothing for other local users to find.
      '-c',
      'unix_socket_directories=',
    ],
    { osUser, logger, detached: true },
  );

  let exitCode: number | null | undefined;
  void server.exited.then(
    (code) => (exitCode = code),
    () => (exitCode = null),
  );
  const deadline = Date.now() + startTimeoutMillis;
  while (!(await isReady())) {
    if (exitCode !== undefined) {
      throw new Error(
        `the embedded PostgreSQL exited while starting (exit code ${exitCode}):\n` +
          server.recentOutput(),
      );
    }
    if (Date.now() > deadline) {
      await stopServer(server, logger);
      throw new Error(
        `the embedded PostgreSQL did not accept connections within ` +
          `${startTimeoutMillis} ms:\n${server.recentOutput()}`,
      );
    }
    await sleep(100);
  }
  return server;
}

/**
 * Control of a server this process started: stop it, on request and on
 * process exit should nobody have asked (a server left behind by accident
 * would hold the port and the data directory); or detach it, so that it
 * outlives this process for the instances still using it. Each is safe to
 * call more than once, and the first call decides.
 */
export function controlServer(
  server: PostgresProgram,
  logger: Logger,
): { stop(): Promise<void>; detach(): void } {
  let stopping: Promise<void> | undefined;
  let detached = false;
  const onExit = (): void => {
    if (server.child.exitCode === null) server.child.kill('SIGINT');
  };
  process.once('exit', onExit);
  return {
    stop: () => {
      if (detached) return Promise.resolve();
      stopping ??= (async () => {
        process.off('exit', onExit);
        await stopServer(server, logger);
        logger.info('embedded PostgreSQL stopped');
      })();
      return stopping;
    },
    detach: () => {
      if (detached || stopping !== undefined) return;
      detached = true;
      process.off('exit', onExit);
      // Its output pipes would keep this process alive; PostgreSQL ignores
      // SIGPIPE, so once they are gone it just stops writing to them.
      server.child.stdout?.destroy();
      server.child.stderr?.destroy();
      server.child.unref();
    },
  };
}

/** Fast shutdown (SIGINT); immediate shutdown (SIGQUIT) if that hangs. */
export async function stopServer(
  server: PostgresProgram,
  logger: Logger,
): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = server.exited.catch(() => null);
  child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MILLIS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    logger.warn('embedded PostgreSQL ignored fast shutdown; forcing it');
    child.kill('SIGQUIT');
    await exited;
  }
}
