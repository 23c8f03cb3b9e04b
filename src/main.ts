/**
 * template-feed's entry point, and the one place where configuration,
 * logging, store, bus, fan-out and server are wired together (DESIGN.md,
 * "Source layout"). Start-up and shutdown each read as numbered steps.
 */
import { BusUnreachableError } from './bus/BusUnreachableError.js';
import type { EventBus } from './bus/EventBus.js';
import { MemoryBus } from './bus/MemoryBus.js';
import { PostgresBus } from './bus/PostgresBus.js';
import { PubSubBus } from './bus/PubSubBus.js';
import { ConfigError } from './config/ConfigError.js';
import { loadConfig, type Config } from './config/config.js';
import { FanoutRegistry } from './fanout/FanoutRegistry.js';
import { createLogger, type Logger } from './logging/createLogger.js';
import { closeInOrder, type Closable } from './server/closeInOrder.js';
import { createServer } from './server/createServer.js';
import {
  createMetrics,
  type TemplateFeedMetrics,
} from './server/metrics/createMetrics.js';
import { OutboxRelay } from './server/OutboxRelay.js';
import { DatabaseUnreachableError } from './store/DatabaseUnreachableError.js';
import { PostgresStore } from './store/PostgresStore.js';
import { startEmbeddedPostgres } from './store/startEmbeddedPostgres.js';

/** Exit codes: 0 clean shutdown; these otherwise. */
const ExitCode = {
  /** Bad configuration, or start-up failed. */
  STARTUP_FAILED: 1,
  /** Shutdown overran DRAIN_TIMEOUT_SECONDS or failed. */
  SHUTDOWN_FAILED: 2,
  /** A second SIGTERM/SIGINT: stop at once. */
  INTERRUPTED: 130,
  /** An uncaught exception or unhandled rejection. */
  CRASHED: 70,
} as const;

/** How long shutdown waits for an outbox round in progress. */
const OUTBOX_STOP_TIMEOUT_MILLIS = 2_000;

/** How long shutdown waits for the store's queries to end. */
const STORE_CLOSE_TIMEOUT_MILLIS = 5_000;

async function main(): Promise<void> {
  // 1. Configuration. A mistake stops start-up with one line on stderr that
  //    names the variable; nothing else is printed.
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) exitWithOneLine(err.message);
    throw err;
  }

  // 2. Logging; from here on nothing fails silently.
  const logger = createLogger(config);
  reportCrashes(logger);

  // Everything start-up opens, closed on the way out in reverse order.
  const opened: Closable[] = [];
  const startup = startUp(config, logger, opened);
  handleShutdownSignals(config, logger, opened, startup);

  try {
    await startup;
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await closeInOrder([...opened].reverse(), {
      timeoutMillis: config.drainTimeoutSeconds * 1_000,
      logger,
    });
    exitWithOneLine(
      err instanceof DatabaseUnreachableError ||
        err instanceof BusUnreachableError
        ? err.message
        : `template-feed failed to start: ${messageOf(err)}`,
    );
  }
}

/** Steps 3 to 10 of start-up; pushes what it opens onto `opened`. */
async function startUp(
  config: Config,
  logger: Logger,
  opened: Closable[],
): Promise<void> {
  // 3. The store: DATABASE_URL, else an embedded PostgreSQL (development
  //    only; loadConfig refuses a missing DATABASE_URL in production).
  const store = await openStore(config, logger, opened);

  // 4. Metrics: one registry for this process, filled by the bus, the
  //    fan-out and the server, rendered on GET /metrics.
  const metrics = createMetrics({ bus: config.bus });

  // 5. The bus that carries events between instances.
  const bus = createBus(config, store, logger, metrics);
  metrics.watchBus(bus);
  opened.push({ name: 'bus', close: () => bus.close() });

  // 6. The fan-out registry of this instance's subscribers.
  const fanout = new FanoutRegistry({
    logger,
    queueCapacity: config.subscriberQueueCapacity,
    metrics,
  });
  opened.push({ name: 'fanout', close: () => fanout.close() });

  // 7. Attach the bus: from now on every event reaches the fan-out.
  await bus.start((event) => {
    metrics.eventArrived(event.template.createdAt);
    fanout.dispatch(event);
  });

  // 8. The outbox relay republishes events whose publish failed.
  const relay = new OutboxRelay({
    store,
    publish: (event) => bus.publish(event),
    logger: logger.child({ module: 'outbox' }),
  });
  relay.start();
  opened.push({
    name: 'outbox relay',
    close: () => relay.stop(),
    // A round stuck on a stalled database must not keep the bus from
    // deleting this pod's subscription next; what it did not publish stays
    // unpublished in the store for the next relay.
    timeoutMillis: OUTBOX_STOP_TIMEOUT_MILLIS,
  });

  // 9. HTTP and WebSocket.
  const server = createServer({
    config,
    logger,
    store,
    bus,
    fanout,
    metrics,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    // Traces belong to the real project; the emulator's id names none.
    traceProjectId:
      config.pubsub.emulatorHost === undefined
        ? config.pubsub.projectId
        : undefined,
  });
  opened.push({ name: 'server', close: () => server.stop() });
  await server.start();

  // 10. Say so, with what an operator needs to find this instance's parts.
  logger.info(
    {
      port: server.port,
      bus: bus.kind,
      topic: bus instanceof PubSubBus ? config.pubsub.topic : undefined,
      subscriptionName:
        bus instanceof PubSubBus ? bus.subscriptionName : undefined,
    },
    'template-feed started',
  );
}

async function openStore(
  config: Config,
  logger: Logger,
  opened: Closable[],
): Promise<PostgresStore> {
  let url = config.database.url;
  if (url === undefined) {
    const embedded = await startEmbeddedPostgres({
      dataDir: config.database.embeddedDataDir,
      port: config.database.embeddedPort,
      logger: logger.child({ module: 'embedded-postgres' }),
    });
    // Closed after the store: the last instance to leave stops the server.
    opened.push({ name: 'embedded postgres', close: () => embedded.stop() });
    url = embedded.url;
  }
  const store = await PostgresStore.connect({
    url,
    poolSize: config.database.poolSize,
    logger,
  });
  opened.push({
    name: 'store',
    close: () => store.close(),
    // The pool closes once its queries end; one stuck on a stalled
    // database would otherwise hold the exit until the whole budget ran out.
    timeoutMillis: STORE_CLOSE_TIMEOUT_MILLIS,
  });
  return store;
}

function createBus(
  config: Config,
  store: PostgresStore,
  logger: Logger,
  metrics: TemplateFeedMetrics,
): EventBus {
  switch (config.bus) {
    case 'pubsub':
      // The store's event log, to catch up from after a detachment.
      return new PubSubBus({ config, logger, metrics, events: store });
    case 'postgres':
      return new PostgresBus({
        connectionString: store.connectionString,
        events: store,
        logger,
        metrics,
      });
    case 'memory':
      return new MemoryBus({ logger, metrics });
  }
}

/**
 * SIGTERM (Kubernetes) and SIGINT (a terminal) start the shutdown; a second
 * one exits at once. Shutdown must finish within DRAIN_TIMEOUT_SECONDS, a
 * little under the pod's terminationGracePeriodSeconds.
 */
function handleShutdownSignals(
  config: Config,
  logger: Logger,
  opened: readonly Closable[],
  startup: Promise<void>,
): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal, exiting at once');
      process.exit(ExitCode.INTERRUPTED);
    }
    shuttingDown = true;
    const timeoutMillis = config.drainTimeoutSeconds * 1_000;
    logger.info({ signal, drainTimeoutMillis: timeoutMillis }, 'shutting down');

    // Closing in reverse order of opening is the documented shutdown order:
    //   1-3. the server: readiness 503, new WebSockets refused, open ones
    //        closed with 1001 (going away), Apollo drains in-flight HTTP;
    //   4. the outbox relay stops republishing (a round stuck on a stalled
    //      database is abandoned after OUTBOX_STOP_TIMEOUT_MILLIS, so the
    //      bus still gets to delete the subscription);
    //   5. the fan-out ends every subscriber that is left;
    //   6. the bus detaches (the Pub/Sub driver deletes this pod's
    //      subscription, within its own time limit);
    //   7. the store's pool closes (or is abandoned after
    //      STORE_CLOSE_TIMEOUT_MILLIS);
    //   8. the embedded PostgreSQL stops, if this process started it.
    // A signal during start-up waits for it to end (every step has its own
    // time limit); if start-up fails instead, main() closes and exits.
    void startup.then(
      async () => {
        const outcome = await closeInOrder([...opened].reverse(), {
          timeoutMillis,
          logger,
        });
        switch (outcome) {
          case 'clean':
            logger.info('template-feed stopped');
            process.exit(0);
            break;
          case 'failed':
          case 'timed-out':
            logger.error({ outcome }, 'template-feed stopped uncleanly');
            process.exit(ExitCode.SHUTDOWN_FAILED);
        }
      },
      () => undefined,
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Errors nobody caught are logged and end the process; never silent. */
function reportCrashes(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(ExitCode.CRASHED);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(ExitCode.CRASHED);
  });
}

function exitWithOneLine(line: string): never {
  process.stderr.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(ExitCode.STARTUP_FAILED);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

await main();
