import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from '../logging/createLogger.js';

export interface LockFileOptions {
  readonly logger: Logger;
  /** How long to wait for another holder. Default 120_000. */
  readonly timeoutMillis?: number;
  /** How often to look again while waiting. Default 100. */
  readonly pollMillis?: number;
}

/** Gives the lock back. Safe to call more than once. */
export type ReleaseLock = () => Promise<void>;

interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly token: string;
}

/** A lock file this young with no owner yet is being written, not stale. */
const UNWRITTEN_GRACE_MILLIS = 5_000;

/**
 * A lock between processes on one machine: a file created with O_EXCL,
 * holding its owner's pid. A lock whose owner died (the pid no longer runs)
 * is broken and taken over, so a crash never blocks the next start.
 *
 * Known limit: two waiters that both judge the same lock stale could, in a
 * window of a few microseconds, both take over. Callers guard what the lock
 * protects a second way (PostgreSQL refuses to initialise a non-empty data
 * directory or to start twice on one), so the worst case is an error, never
 * a damaged cluster.
 *
 * @throws when the lock stays held by a live process for `timeoutMillis`.
 */
export async function acquireLockFile(
  lockPath: string,
  options: LockFileOptions,
): Promise<ReleaseLock> {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    token: randomUUID(),
  };
  const deadline = Date.now() + (options.timeoutMillis ?? 120_000);
  let loggedWait = false;

  for (;;) {
    if (await tryCreate(lockPath, owner)) {
      return once(() => releaseIfOurs(lockPath, owner));
    }

    const holder = await readHolder(lockPath);
    if (holder !== 'gone' && (await isStale(lockPath, holder))) {
      options.logger.warn(
        { lockPath, holder: holder ?? 'unwritten' },
        'breaking a stale lock file',
      );
      await breakStale(lockPath, holder);
      continue;
    }

    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for the lock file ${lockPath}` +
          (holder !== 'gone' && holder !== undefined
            ? ` held by pid ${holder.pid}`
            : ''),
      );
    }
    if (!loggedWait && holder !== 'gone') {
      loggedWait = true;
      options.logger.info(
        { lockPath, holderPid: holder?.pid },
        'waiting for another process holding the lock',
      );
    }
    await sleep(options.pollMillis ?? 100);
  }
}

async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(
      lockPath,
      fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY,
      0o644,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * The lock's owner; undefined while the owner has created the file but not
 * yet written it; 'gone' when the file vanished since we looked.
 */
async function readHolder(
  lockPath: string,
): Promise<LockOwner | undefined | 'gone'> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.hostname === 'string' &&
      typeof parsed.token === 'string'
    ) {
      return parsed as LockOwner;
    }
  } catch {
    // Half written, or not ours: judged by its age below.
  }
  return undefined;
}

async function isStale(
  lockPath: string,
  holder: LockOwner | undefined,
): Promise<boolean> {
  if (holder === undefined) {
    const stat = await fs.stat(lockPath).catch(() => undefined);
    return (
      stat !== undefined && Date.now() - stat.mtimeMs > UNWRITTEN_GRACE_MILLIS
    );
  }
  // Another machine's pid means nothing here (a shared volume): only age
  // could tell, and a start-up lock held that long is worth a look by hand.
  if (holder.hostname !== os.hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    // EPERM: the pid runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the stale file aside, then checks that what moved is the lock judged
 * stale. If a waiter took the lock over in between, its file is put back.
 */
async function breakStale(
  lockPath: string,
  stale: LockOwner | undefined,
): Promise<void> {
  const aside = `${lockPath}.stale-${randomUUID()}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readHolder(aside);
  const same =
    moved === 'gone' ||
    (moved === undefined ? stale === undefined : moved.token === stale?.token);
  if (!same) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function releaseIfOurs(
  lockPath: string,
  owner: LockOwner,
): Promise<void> {
  const holder = await readHolder(lockPath);
  if (holder !== 'gone' && holder?.token === owner.token) {
    await fs.rm(lockPath, { force: true });
  }
}

function once(action: () => Promise<void>): ReleaseLock {
  let done: Promise<void> | undefined;
  return () => (done ??= action());
}
