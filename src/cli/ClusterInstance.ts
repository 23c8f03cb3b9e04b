import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterOutput } from './ClusterOutput.js';

/** How an instance process ended. */
export interface InstanceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ClusterInstanceOptions {
  /** `instance-<n>`: its INSTANCE_ID and the prefix of its lines. */
  readonly instanceId: string;
  readonly port: number;
  /** The arguments to this node that run an instance: dist/main.js. */
  readonly args: readonly string[];
  /** Its whole environment. */
  readonly env: NodeJS.ProcessEnv;
  readonly output: ClusterOutput;
}

/**
 * One `node dist/main.js` of the local cluster, its lines going to the
 * cluster's output.
 *
 * It runs in a process group of its own. A terminal's Ctrl-C signals the
 * whole foreground group at once; an instance in it would get that SIGINT
 * and then the cluster's SIGTERM, and main.ts takes a second signal as
 * "exit now", skipping the subscription's deletion. Apart, each instance
 * gets exactly one signal, from the cluster.
 */
export class ClusterInstance {
  readonly instanceId: string;
  readonly port: number;
  readonly baseUrl: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<InstanceExit>;

  private readonly child: ChildProcess;
  private exit: InstanceExit | undefined;

  constructor(options: ClusterInstanceOptions) {
    this.instanceId = options.instanceId;
    this.port = options.port;
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    this.child = spawn(process.execPath, options.args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = this.child[stream];
      if (input === null) continue;
      readline
        .createInterface({ input })
        .on('line', (line) =>
          options.output.writeLine(this.instanceId, line, stream),
        );
    }
    // 'close' comes after the last line of output was read.
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.exit === undefined;
  }

  /**
   * Resolves true once GET /readyz answers 200, false if the process exits
   * first; rejects after `timeoutMillis`.
   */
  async waitUntilReady(timeoutMillis: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMillis;
    while (!(await this.answersReady())) {
      if (this.exit !== undefined) return false;
      if (Date.now() > deadline) {
        throw new Error(
          `${this.instanceId} was not ready within ${timeoutMillis} ms`,
        );
      }
      await sleep(250);
    }
    return true;
  }

  /** Sends `signal` if the process still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  private async answersReady(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
