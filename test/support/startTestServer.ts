import pg from 'pg';

import type { EventBus } from '../../src/bus/EventBus.js';
import { MemoryBus } from '../../src/bus/MemoryBus.js';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
import { FanoutRegistry } from '../../src/fanout/FanoutRegistry.js';
import {
  createServer,
  type TemplateFeedServer,
} from '../../src/server/createServer.js';
import type { TemplateFeedMetrics } from '../../src/server/metrics/createMetrics.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import type { Store } from '../../src/store/Store.js';
import { captureLogs, type CapturedLogs } from './captureLogs.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

export interface TestServerOptions {
  /** Hide internal error messages, as NODE_ENV=production does. */
  readonly isProduction?: boolean;
  /** Level of the captured logs. Default 'info'. */
  readonly logLevel?: string;
  /**
   * What the bus, the fan-out and the server count into, and what /metrics
   * renders, as main.ts passes them. Default: nothing is counted.
   */
  readonly metrics?: TemplateFeedMetrics;
  /**
   * Wraps the store the server sees (not the one the bus and tests use), to
   * make one of its methods fail, say.
   */
  readonly serverStore?: (store: Store) => Store;
  /** Wraps the bus the server publishes to, likewise. */
  readonly serverBus?: (
    bus: EventBus,
  ) => Pick<EventBus, 'publish' | 'isAttached'>;
  /** The project access lines name traces in. Default: no trace field. */
  readonly traceProjectId?: string;
}

/**
 * One instance in this process: the real PostgresStore on a fresh database,
 * the memory bus, the fan-out registry and the HTTP/WebSocket server on a
 * free port, wired as main.ts wires them.
 */
export interface TestServer {
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly baseUrl: string;
  readonly server: TemplateFeedServer;
  readonly store: PostgresStore;
  readonly bus: MemoryBus;
  readonly fanout: FanoutRegistry;
  readonly database: TestDatabase;
  readonly logs: CapturedLogs;
  /** Rows in the templates table, read straight from PostgreSQL. */
  countTemplateRows(): Promise<number>;
  /** Shuts down in main.ts's order and drops the database. */
  stop(): Promise<void>;
}

export async function startTestServer(
  options: TestServerOptions = {},
): Promise<TestServer> {
  const logs = captureLogs(options.logLevel ?? 'info');
  const { logger } = logs;
  const database = await createTestDatabase('tf_server');
  const store = await PostgresStore.connect({ url: database.url, logger });
  const { metrics } = options;
  const bus = new MemoryBus({ logger, metrics });
  const fanout = new FanoutRegistry({ logger, queueCapacity: 256, metrics });
  await bus.start((event) => {
    metrics?.eventArrived(event.template.createdAt);
    fanout.dispatch(event);
  });
  const server = createServer({
    config: {
      port: 0,
      isProduction: options.isProduction ?? false,
      drainTimeoutSeconds: 10,
      auth: {
        jwtSecret: DEVELOPMENT_JWT_SECRET,
        jwksUrl: undefined,
        issuer: undefined,
        audience: undefined,
      },
    },
    host: '127.0.0.1',
    logger,
    store: options.serverStore?.(store) ?? store,
    bus: options.serverBus?.(bus) ?? bus,
    fanout,
    metrics,
    ...(options.traceProjectId === undefined
      ? {}
      : { traceProjectId: options.traceProjectId }),
  });
  await server.start();
  const baseUrl = `http://127.0.0.1:${server.port}`;

  return {
    graphqlUrl: `${baseUrl}/graphql`,
    wsUrl: `ws://127.0.0.1:${server.port}/graphql`,
    baseUrl,
    server,
    store,
    bus,
    fanout,
    database,
    logs,
    async countTemplateRows() {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string }>(
          'SELECT count(*) AS count FROM templates',
        );
        return Number(rows[0]?.count);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await server.stop();
      fanout.close();
      await bus.close();
      await store.close();
      await database.drop();
    },
  };
}
