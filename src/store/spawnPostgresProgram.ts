import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

import type { Logger } from '../logging/createLogger.js';
import type { PostgresOsUser } from './embeddedPostgresHost.js';

/** A running initdb or postgres, with its latest output kept for errors. */
export interface PostgresProgram {
  readonly child: ChildProcess;
  /** The last lines it wrote, for an error message. */
  recentOutput(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

const KEPT_LINES = 20;

/**
 * Starts a PostgreSQL program as `osUser` (when we are root). Its output is
 * chatty and routine, so every line goes to the logger at debug; the last
 * few are kept for the error should it fail.
 *
 * @param detached its own process group, so a Ctrl-C meant for us does not
 * reach the server before we have drained and stop it ourselves.
 */
export function spawnPostgresProgram(
  command: string,
  args: readonly string[],
  options: {
    readonly osUser: PostgresOsUser | undefined;
    readonly logger: Logger;
    readonly detached: boolean;
  },
): PostgresProgram {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached,
    // English messages, whatever the machine's locale.
    env: { ...process.env, LC_MESSAGES: 'C', LANG: 'C' },
    ...(options.osUser === undefined
      ? {}
      : { uid: options.osUser.uid, gid: options.osUser.gid }),
  });

  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      options.logger.debug({ output: line }, 'postgres output');
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
    });
  }

  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  // Spawn failures also reject `exited`; callers that never await it must
  // not turn that into an unhandled rejection.
  void exited.catch(() => undefined);

  return { child, exited, recentOutput: () => lines.join('\n') };
}
