import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

/**
 * The emulator's launcher as the Google Cloud SDK installs it from Debian's
 * package; PUBSUB_EMULATOR_LAUNCHER points elsewhere (say, a Homebrew SDK).
 */
export const PUBSUB_EMULATOR_LAUNCHER =
  process.env.PUBSUB_EMULATOR_LAUNCHER ??
  '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';

/** Whether the local Google Cloud SDK has the Pub/Sub emulator. */
export function hasPubsubEmulator(): boolean {
  return existsSync(PUBSUB_EMULATOR_LAUNCHER);
}

export interface RunningEmulator {
  readonly host: string;
  readonly process: ChildProcess;
  /**
   * SIGKILLs the emulator's process group at once, for a process about to
   * exit; false when it had already ended.
   */
  kill(): boolean;
  /** kill(), then waits for the emulator to have exited. */
  stop(): Promise<void>;
}

/** Finds a free loopback port by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object')
          resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/**
 * Starts the real Pub/Sub emulator (development and tests only) on `port` (a
 * free one by default) and resolves once it accepts connections.
 *
 * @throws Error when `port` is already taken: readiness is "something
 * answers on the port", which would otherwise mistake another server for it.
 */
export async function startPubsubEmulator(
  port?: number,
): Promise<RunningEmulator> {
  if (!hasPubsubEmulator()) {
    throw new Error(
      `Pub/Sub emulator not found at ${PUBSUB_EMULATOR_LAUNCHER}`,
    );
  }
  if (port !== undefined && (await accepts(port))) {
    throw new Error(
      `port ${port} is already in use; cannot start the Pub/Sub emulator there`,
    );
  }
  const chosenPort = port ?? (await freePort());
  const child = spawn(
    PUBSUB_EMULATOR_LAUNCHER,
    ['--host=127.0.0.1', `--port=${chosenPort}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const host = `127.0.0.1:${chosenPort}`;
  const deadline = Date.now() + 60_000;
  while (!(await accepts(chosenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Pub/Sub emulator did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  function kill(): boolean {
    // exitCode stays null for a process that a signal ended (someone
    // killed the emulator): that one has nothing left to stop either.
    const ended = child.exitCode !== null || child.signalCode !== null;
    if (ended || child.pid === undefined) return false;
    try {
      // The launcher starts java as a child: kill the whole group.
      process.kill(-child.pid, 'SIGKILL');
      return true;
    } catch (err) {
      // ESRCH: the group ended between the check and the kill.
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }

  return {
    host,
    process: child,
    kill,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (kill()) await exited;
    },
  };
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
