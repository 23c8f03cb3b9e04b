import { spawn, type ChildProcess } from 'node:child_process';

import { REPO_ROOT } from './repoPaths.js';

/** One JSON log line an instance wrote to stdout. */
export type InstanceLogLine = Record<string, unknown> & {
  readonly level?: string;
  readonly message?: string;
};

export interface InstanceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartInstanceOptions {
  /**
   * The instance's environment, over a minimal base: PATH, HOME, PORT=0,
   * LOG_FORMAT=json, LOG_LEVEL=info. Nothing else of the test process's
   * environment is inherited (not even PUBSUB_EMULATOR_HOST), so each test
   * says exactly what the instance sees.
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `tsx` runs src/main.ts through tsx's loader (no build needed); `dist`
   * runs `node dist/main.js` (run `npm run build` first). Default `tsx`.
   */
  readonly entry?: 'tsx' | 'dist';
  /** How long to wait for GET /readyz to answer 200. Default 60 s. */
  readonly readyTimeoutMillis?: number;
  /** A name for error messages, e.g. "pod-a". Default: INSTANCE_ID or "instance". */
  readonly label?: string;
}

/** A template-feed process started by `startInstance`. */
export interface RunningInstance {
  readonly label: string;
  readonly pid: number;
  /** The port it listens on (its PORT, or the one chosen for PORT=0). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>/graphql` */
  readonly graphqlUrl: string;
  /** `ws://127.0.0.1:<port>/graphql` */
  readonly wsUrl: string;
  /** Every JSON line it wrote to stdout so far, parsed, in order. */
  readonly logs: readonly InstanceLogLine[];
  /** Everything it wrote to stderr so far. */
  readonly stderr: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<InstanceExit>;
  /** Resolves with the first log line (past or future) matching `predicate`. */
  waitForLog(
    predicate: (line: InstanceLogLine) => boolean,
    timeoutMillis?: number,
  ): Promise<InstanceLogLine>;
  /**
   * Sends `signal` (default SIGTERM) and waits for the exit, SIGKILLing
   * after `timeoutMillis` (default 30 s; then the exit has signal SIGKILL).
   * Safe to call more than once and after the process exited.
   */
  stop(options?: {
    readonly signal?: NodeJS.Signals;
    readonly timeoutMillis?: number;
  }): Promise<InstanceExit>;
  /** SIGKILL: a crash, as a pod killed without warning. */
  kill(): Promise<InstanceExit>;
  /** Sends `signal` and returns at once (say, a second SIGTERM). */
  sendSignal(signal: NodeJS.Signals): void;
}

/** What a process that was expected to exit on its own left behind. */
export interface CompletedInstance extends InstanceExit {
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: readonly InstanceLogLine[];
}

const running = new Set<RunningInstance>();

/**
 * Starts `src/main.ts` (or `dist/main.js`) as a child process, waits for its
 * "template-feed started" log line and for GET /readyz to answer 200, and
 * collects its stdout JSON logs. Rejects, killing the process, if it exits
 * or does not become ready in time; the error carries its stderr and logs.
 *
 * Call `stop()` in afterAll/afterEach, or `stopAllInstances()`.
 */
export async function startInstance(
  options: StartInstanceOptions,
): Promise<RunningInstance> {
  const label = options.label ?? options.env.INSTANCE_ID ?? 'instance';
  const child = spawnMain(options);
  const output = collectOutput(child);
  const exited = new Promise<InstanceExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const waitForLog = (
    predicate: (line: InstanceLogLine) => boolean,
    timeoutMillis = 30_000,
  ) =>
    new Promise<InstanceLogLine>((resolve, reject) => {
      const found = output.logs.find(predicate);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      const timer = setTimeout(() => {
        output.listeners.delete(listener);
        reject(new Error(`${label}: no matching log line in time`));
      }, timeoutMillis);
      const listener = (line: InstanceLogLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        output.listeners.delete(listener);
        resolve(line);
      };
      output.listeners.add(listener);
    });

  let stopping: Promise<InstanceExit> | undefined;
  const stop: RunningInstance['stop'] = (stopOptions = {}) => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(stopOptions.signal ?? 'SIGTERM');
      }
      let timer: NodeJS.Timeout | undefined;
      const overdue = new Promise<'overdue'>((resolve) => {
        timer = setTimeout(
          () => resolve('overdue'),
          stopOptions.timeoutMillis ?? 30_000,
        );
      });
      const outcome = await Promise.race([exited, overdue]);
      clearTimeout(timer);
      if (outcome === 'overdue') child.kill('SIGKILL');
      const exit = await exited;
      running.delete(instance);
      return exit;
    })();
    return stopping;
  };

  // Filled in once the port is known; until then only stop() is used.
  const instance: RunningInstance = {
    label,
    get pid() {
      return child.pid ?? -1;
    },
    port: -1,
    baseUrl: '',
    graphqlUrl: '',
    wsUrl: '',
    get logs() {
      return output.logs;
    },
    get stderr() {
      return output.stderr();
    },
    exited,
    waitForLog,
    stop,
    kill: () => stop({ signal: 'SIGKILL' }),
    sendSignal: (signal) => {
      child.kill(signal);
    },
  };
  running.add(instance);

  const readyTimeoutMillis = options.readyTimeoutMillis ?? 60_000;
  const deadline = Date.now() + readyTimeoutMillis;
  const failure = (problem: string) =>
    new Error(
      `${label}: ${problem}\n--- stderr ---\n${output.stderr()}` +
        `\n--- last logs ---\n${output.logs
          .slice(-20)
          .map((line) => JSON.stringify(line))
          .join('\n')}`,
    );

  try {
    const started = await Promise.race([
      waitForLog(
        (line) => line.message === 'template-feed started',
        readyTimeoutMillis,
      ),
      exited.then((exit) => {
        throw failure(`exited before starting (${JSON.stringify(exit)})`);
      }),
    ]);
    const port = Number(started.port);
    const baseUrl = `http://127.0.0.1:${port}`;
    while (!(await isReady(baseUrl))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw failure('exited before becoming ready');
      }
      if (Date.now() > deadline) throw failure('/readyz never answered 200');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    Object.assign(instance, {
      port,
      baseUrl,
      graphqlUrl: `${baseUrl}/graphql`,
      wsUrl: `ws://127.0.0.1:${port}/graphql`,
    });
    return instance;
  } catch (err) {
    await instance.kill();
    throw err;
  }
}

/**
 * Runs an instance that is expected to exit by itself (say, on bad
 * configuration) and resolves with its exit and output. SIGKILLs it and
 * rejects if it is still running after `timeoutMillis` (default 60 s).
 */
export async function runInstanceToExit(
  options: Omit<StartInstanceOptions, 'readyTimeoutMillis' | 'label'> & {
    readonly timeoutMillis?: number;
  },
): Promise<CompletedInstance> {
  const child = spawnMain(options);
  const output = collectOutput(child);
  const exited = new Promise<InstanceExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => {
    timer = setTimeout(
      () => resolve('overdue'),
      options.timeoutMillis ?? 60_000,
    );
  });
  const outcome = await Promise.race([exited, overdue]);
  clearTimeout(timer);
  if (outcome === 'overdue') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the instance did not exit:\n${output.stderr()}`);
  }
  // 'exit' can come before the last output is read; 'close' comes after.
  await new Promise((resolve) => {
    if (child.stdout?.readableEnded && child.stderr?.readableEnded) {
      resolve(undefined);
    } else {
      child.once('close', resolve);
    }
  });
  return {
    ...outcome,
    stdout: output.stdout(),
    stderr: output.stderr(),
    logs: output.logs,
  };
}

/** Stops every instance this module started that is still running. */
export async function stopAllInstances(): Promise<void> {
  await Promise.all([...running].map((instance) => instance.stop()));
}

function spawnMain(options: {
  readonly env: Readonly<Record<string, string>>;
  readonly entry?: 'tsx' | 'dist';
}): ChildProcess {
  const args =
    (options.entry ?? 'tsx') === 'tsx'
      ? ['--import', 'tsx', 'src/main.ts']
      : ['dist/main.js'];
  return spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? REPO_ROOT,
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface CollectedOutput {
  readonly logs: InstanceLogLine[];
  readonly listeners: Set<(line: InstanceLogLine) => void>;
  stdout(): string;
  stderr(): string;
}

function collectOutput(child: ChildProcess): CollectedOutput {
  const logs: InstanceLogLine[] = [];
  const listeners = new Set<(line: InstanceLogLine) => void>();
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      let line: InstanceLogLine;
      try {
        line = JSON.parse(text) as InstanceLogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (const listener of [...listeners]) listener(line);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  return {
    logs,
    listeners,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/readyz`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
