import { spawn } from 'node:child_process';
import readline from 'node:readline';

import { isPortFree } from '../../src/cli/isPortFree.js';

/** One line the cluster printed: `[source] text`, JSON parsed if it is. */
export interface ClusterLine {
  /** `cluster` or `instance-<n>`. */
  readonly source: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface ClusterExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** `node dist/cli/cluster.js` running as a child process. */
export interface RunningCluster {
  readonly lines: readonly ClusterLine[];
  readonly exited: Promise<ClusterExit>;
  /** The JSON lines of `source` with `message`. */
  logged(source: string, message: string): Record<string, unknown>[];
  /** Resolves with the first line (past or future) matching `predicate`. */
  waitForLine(
    predicate: (line: ClusterLine) => boolean,
    timeoutMillis?: number,
  ): Promise<ClusterLine>;
  /**
   * Ctrl-C as a terminal sends it: SIGINT to the whole process group the
   * cluster leads.
   */
  pressCtrlC(): void;
  /** SIGKILLs the cluster and every instance it printed a pid for. */
  killAll(): Promise<void>;
}

/**
 * Starts `script` (dist/cli/cluster.js) with exactly `env` plus PATH and
 * HOME, as the leader of a process group of its own, as a shell starts a
 * foreground job.
 */
export function runCluster(
  script: string,
  env: Readonly<Record<string, string>>,
): RunningCluster {
  const child = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: ClusterLine[] = [];
  const listeners = new Set<(line: ClusterLine) => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    readline
      .createInterface({ input: child[stream] })
      .on('line', (raw: string) => {
        const line = parseLine(raw, stream);
        lines.push(line);
        for (const listener of [...listeners]) listener(line);
      });
  }
  const exited = new Promise<ClusterExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  const waitForLine: RunningCluster['waitForLine'] = (
    predicate,
    timeoutMillis = 120_000,
  ) =>
    new Promise((resolve, reject) => {
      const found = lines.find(predicate);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const done = (outcome: () => void) => {
        clearTimeout(timer);
        listeners.delete(listener);
        outcome();
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(
                `no matching cluster line in time; last lines:\n${lines
                  .slice(-30)
                  .map((line) => line.text)
                  .join('\n')}`,
              ),
            ),
          ),
        timeoutMillis,
      );
      const listener = (line: ClusterLine) => {
        if (predicate(line)) done(() => resolve(line));
      };
      listeners.add(listener);
      void exited.then(() =>
        done(() =>
          reject(
            new Error(
              `the cluster exited; last lines:\n${lines
                .slice(-30)
                .map((line) => `[${line.source}] ${line.text}`)
                .join('\n')}`,
            ),
          ),
        ),
      );
    });

  return {
    lines,
    exited,
    logged: (source, message) =>
      lines
        .filter((line) => line.source === source)
        .flatMap((line) => (line.json === undefined ? [] : [line.json]))
        .filter((json) => json.message === message),
    waitForLine,
    pressCtrlC: () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    },
    killAll: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const pids = lines.flatMap((line) =>
        typeof line.json?.childPid === 'number' ? [line.json.childPid] : [],
      );
      for (const pid of [child.pid, ...pids]) {
        try {
          if (pid !== undefined) process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
    },
  };
}

const PREFIXED = /^\[([a-z0-9-]+)\]\s+(.*)$/;

function parseLine(raw: string, stream: 'stdout' | 'stderr'): ClusterLine {
  const match = PREFIXED.exec(raw);
  const source = match?.[1] ?? '';
  const text = match?.[2] ?? raw;
  let json: Record<string, unknown> | undefined;
  if (text.startsWith('{')) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  return { source, stream, text, json };
}

/**
 * A port with `count` free ports from it on, for CLUSTER_BASE_PORT. Taken
 * below Linux's ephemeral range (32768 and up), where the sockets other
 * suites open at the same time would otherwise land.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: count }, (_, index) => base + index);
    const free = await Promise.all(ports.map((port) => isPortFree(port)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
