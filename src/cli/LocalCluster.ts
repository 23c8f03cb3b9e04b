import pg from 'pg';

import { ConfigError } from '../config/ConfigError.js';
import { loadConfig } from '../config/config.js';
import type { RunningEmulator } from '../devtools/pubsubEmulator.js';
import type { Logger } from '../logging/createLogger.js';
import { startEmbeddedPostgres } from '../store/startEmbeddedPostgres.js';
import { chooseClusterBus } from './chooseClusterBus.js';
import { ClusterInstance, type InstanceExit } from './ClusterInstance.js';
import type { ClusterOutput } from './ClusterOutput.js';
import type { ClusterOptions } from './clusterOptions.js';
import { isPortFree } from './isPortFree.js';

/** How long instances may take to answer /readyz 200 (cold JIT, 2 cores). */
const READY_TIMEOUT_MILLIS = 120_000;

/** Added to the instances' own drain budget before they are SIGKILLed. */
const STOP_SLACK_MILLIS = 10_000;

/** Exit codes of `npm start`. */
export const ClusterExitCode = {
  /** Stopped by a signal; every instance shut down cleanly. */
  STOPPED: 0,
  /**
   * Start-up failed, an instance crashed, the last one exited by itself,
   * or one did not shut down cleanly.
   */
  FAILED: 1,
  /** A second signal: instances were killed. */
  INTERRUPTED: 130,
} as const;

export interface LocalClusterOptions {
  readonly options: ClusterOptions;
  /** The environment the instances inherit. */
  readonly env: NodeJS.ProcessEnv;
  /** The node arguments that run one instance: dist/main.js. */
  readonly mainArgs: readonly string[];
  readonly logger: Logger;
  readonly output: ClusterOutput;
}

/**
 * The processes behind `npm start`: one PostgreSQL, one Pub/Sub emulator and
 * CLUSTER_INSTANCES instances. `run()` starts them, waits for `stop()` or
 * the last instance leaving, stops them in order and resolves with the exit
 * code.
 */
export class LocalCluster {
  private readonly options: ClusterOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly mainArgs: readonly string[];
  private readonly logger: Logger;
  private readonly output: ClusterOutput;

  private readonly instances: ClusterInstance[] = [];
  private emulator: RunningEmulator | undefined;
  /** What start-up opened besides instances, closed in reverse order. */
  private readonly opened: {
    readonly name: string;
    readonly close: () => Promise<void>;
  }[] = [];
  private stopping = false;
  /** Every instance answered /readyz 200 once; start-up is over. */
  private started = false;
  private exitCode: number = ClusterExitCode.STOPPED;
  private wake!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => {
    this.wake = resolve;
  });

  constructor(options: LocalClusterOptions) {
    this.options = options.options;
    this.env = options.env;
    this.mainArgs = options.mainArgs;
    this.logger = options.logger;
    this.output = options.output;
  }

  /** Starts everything, runs until stopped, stops everything. */
  async run(): Promise<number> {
    try {
      await this.startUp();
      if (!this.stopping) await this.stopRequested;
    } catch (err) {
      this.fail();
      if (err instanceof ConfigError) {
        this.output.writeLine('cluster', err.message, 'stderr');
      } else {
        this.logger.error({ err }, 'cluster start-up failed');
      }
    }
    await this.shutDown();
    return this.exitCode;
  }

  /** The first Ctrl-C: instances drain and delete their subscriptions. */
  stop(signal: NodeJS.Signals): void {
    this.logger.info({ signal }, 'stopping the cluster');
    this.requestStop();
  }

  /** The second Ctrl-C: instances are killed; the rest still stops. */
  kill(signal: NodeJS.Signals): void {
    this.logger.warn({ signal }, 'second signal: killing the instances');
    this.exitCode = ClusterExitCode.INTERRUPTED;
    this.requestStop();
    for (const instance of this.instances) instance.signal('SIGKILL');
  }

  /**
   * Last resort as the process exits anyway: instances and the emulator run
   * in process groups of their own and would outlive us.
   */
  killNow(): void {
    for (const instance of this.instances) instance.signal('SIGKILL');
    this.emulator?.kill();
  }

  private async startUp(): Promise<void> {
    // 1. Every instance's port must be free, or one instance would die.
    await this.checkInstancePorts();

    // 2. One database for every instance: DATABASE_URL, else the embedded
    //    PostgreSQL under .data/, started here so it outlives the instances.
    const databaseUrl = await this.database();
    if (this.stopping) return;

    // 3. The bus: the emulator from the Google Cloud SDK unless one is named,
    //    or LISTEN/NOTIFY when there is no SDK.
    const { bus, emulatorHost, emulator } = await chooseClusterBus(
      this.options,
      this.env,
      this.logger,
    );
    if (emulator !== undefined) {
      this.emulator = emulator;
      // Someone killed it: the instances detach and report 503 until an
      // emulator listens at the same address again; say so once, here.
      emulator.process.once('exit', (code, signal) => {
        if (this.stopping) return;
        this.logger.warn(
          { emulatorHost: emulator.host, code, signal },
          'pubsub emulator exited; instances stay unready until one listens there again',
        );
      });
      this.opened.push({
        name: 'pubsub emulator',
        close: async () => {
          await emulator.stop();
          this.logger.info('pubsub emulator stopped');
        },
      });
    }
    if (this.stopping) return;

    // 4. The instances, each with its own port, INSTANCE_ID and so its own
    //    Pub/Sub subscription. Their configuration is checked here first so
    //    a mistake is one line, not one per instance.
    const envs = this.instanceIds().map((instanceId, index) => ({
      ...this.env,
      PORT: String(this.options.basePort + index),
      INSTANCE_ID: instanceId,
      BUS: bus,
      DATABASE_URL: databaseUrl,
      ...(emulatorHost === undefined
        ? {}
        : { PUBSUB_EMULATOR_HOST: emulatorHost }),
      // The cluster formats every line itself (ClusterOutput).
      LOG_FORMAT: 'json',
    }));
    for (const env of envs) loadConfig(env);
    for (const env of envs) this.spawnInstance(env.INSTANCE_ID, env);

    // 5. Ready when every instance's /readyz says so. One that exits
    //    instead has already asked for the stop.
    const ready = Promise.all(
      this.instances.map((instance) =>
        instance.waitUntilReady(READY_TIMEOUT_MILLIS),
      ),
    );
    // When a stop wins the race, a later time-out has no one to tell.
    ready.catch(() => undefined);
    await Promise.race([ready, this.stopRequested]);
    if (this.stopping) return;
    this.started = true;
    this.logger.info(
      {
        bus,
        emulatorHost,
        graphqlUrls: this.instances.map(
          (instance) => `${instance.baseUrl}/graphql`,
        ),
        try: [
          `npm run watch -- zolo ${wsUrl(this.instances.at(-1))}`,
          'npm run -s token -- zowi',
        ],
      },
      'cluster ready; Ctrl-C stops it',
    );
  }

  private instanceIds(): string[] {
    return Array.from(
      { length: this.options.instances },
      (_, index) => `instance-${index + 1}`,
    );
  }

  private async checkInstancePorts(): Promise<void> {
    for (const [index, instanceId] of this.instanceIds().entries()) {
      const port = this.options.basePort + index;
      if (!(await isPortFree(port))) {
        throw new ConfigError(
          'CLUSTER_BASE_PORT',
          `is ${this.options.basePort}, but port ${port} (${instanceId}) is ` +
            'in use: stop what listens there or choose another CLUSTER_BASE_PORT',
        );
      }
    }
  }

  private async database(): Promise<string> {
    const url = this.env.DATABASE_URL?.trim();
    if (url !== undefined && url !== '') return url;
    const { database } = loadConfig(this.env);
    const embedded = await startEmbeddedPostgres({
      dataDir: database.embeddedDataDir,
      port: database.embeddedPort,
      logger: this.logger.child({ module: 'embedded-postgres' }),
    });
    // The cluster stays connected while it runs, so its instances, leaving
    // one by one, never see themselves as the last user and stop the
    // server: stopping it is the cluster's last step.
    const holder = new pg.Client({ connectionString: embedded.url });
    holder.on('error', () => undefined);
    await holder.connect();
    this.opened.push({
      name: 'embedded postgres',
      close: async () => {
        await holder.end().catch(() => undefined);
        await embedded.stop();
      },
    });
    return embedded.url;
  }

  private spawnInstance(instanceId: string, env: NodeJS.ProcessEnv): void {
    const instance = new ClusterInstance({
      instanceId,
      port: Number(env.PORT),
      args: this.mainArgs,
      env,
      output: this.output,
    });
    this.instances.push(instance);
    this.logger.info(
      { instance: instanceId, port: instance.port, childPid: instance.pid },
      'instance starting',
    );
    void instance.exited.then((exit) => this.onInstanceExit(instanceId, exit));
  }

  /**
   * An instance left without being asked. During start-up that fails the
   * cluster. Once it is running, the others carry on, as pods do when one
   * goes: that is how a client's reconnect to another instance is tried
   * locally (`kill -TERM` one instance). The cluster stops with the last.
   */
  private onInstanceExit(instanceId: string, exit: InstanceExit): void {
    if (this.stopping) return;
    if (!this.started) {
      this.logger.error(
        { instance: instanceId, ...exit },
        'instance exited during start-up; stopping the cluster',
      );
      this.fail();
      this.requestStop();
      return;
    }

    // Exit code 0 is a shutdown someone asked for (kill -TERM); anything
    // else is a crash, worth an error and a failed exit code.
    const clean = exit.code === 0;
    if (!clean) this.fail();
    const running = this.instances
      .filter((instance) => instance.isRunning)
      .map((instance) => instance.instanceId);
    const fields = { instance: instanceId, ...exit, running };
    if (running.length === 0) {
      if (clean) {
        this.logger.info(fields, 'last instance stopped; stopping the cluster');
      } else {
        this.logger.error(fields, 'last instance failed; stopping the cluster');
      }
      this.requestStop();
    } else if (clean) {
      this.logger.warn(fields, 'instance stopped; the others carry on');
    } else {
      this.logger.error(fields, 'instance failed; the others carry on');
    }
  }

  private requestStop(): void {
    this.stopping = true;
    this.wake();
  }

  private fail(): void {
    if (this.exitCode === ClusterExitCode.STOPPED) {
      this.exitCode = ClusterExitCode.FAILED;
    }
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;

    // 1. Instances first, while the database and the emulator are still
    //    there: each drains its sockets and deletes its subscription.
    const budgetMillis = drainTimeoutMillis(this.env) + STOP_SLACK_MILLIS;
    for (const instance of this.instances) instance.signal('SIGTERM');
    const overdue = setTimeout(() => {
      for (const instance of this.instances) {
        if (!instance.isRunning) continue;
        this.logger.error(
          { instance: instance.instanceId, budgetMillis },
          'instance did not stop in time; killing it',
        );
        instance.signal('SIGKILL');
      }
    }, budgetMillis);
    const exits = await Promise.all(
      this.instances.map(async (instance) => ({
        instance: instance.instanceId,
        ...(await instance.exited),
      })),
    );
    clearTimeout(overdue);
    for (const exit of exits) {
      this.logger.info(exit, 'instance exited');
      if (exit.code !== 0) this.fail();
    }

    // 2. Then what they used: the emulator, the embedded PostgreSQL.
    for (const { name, close } of this.opened.reverse()) {
      try {
        await close();
      } catch (err) {
        this.fail();
        this.logger.error({ err, name }, 'cluster clean-up failed');
      }
    }
    this.logger.info({ exitCode: this.exitCode }, 'cluster stopped');
  }
}

function wsUrl(instance: ClusterInstance | undefined): string {
  return `ws://127.0.0.1:${instance?.port ?? 3001}/graphql`;
}

/** The instances' own shutdown budget, DRAIN_TIMEOUT_SECONDS (20 s). */
function drainTimeoutMillis(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.DRAIN_TIMEOUT_SECONDS?.trim() || 20);
  return Number.isFinite(seconds) ? seconds * 1_000 : 20_000;
}
