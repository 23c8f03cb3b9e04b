import http from 'node:http';

import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';

import type { Config } from '../config/config.js';
import { ErrorCode } from '../domain/errorCodes.js';
import type { TemplateEvent } from '../domain/types.js';
import type { EventBus } from '../bus/EventBus.js';
import type { FanoutRegistry } from '../fanout/FanoutRegistry.js';
import { createSchema } from '../graphql/createSchema.js';
import { createErrorFormatter } from '../graphql/formatError.js';
import { isServiceUnavailableError } from '../graphql/isServiceUnavailableError.js';
import {
  createGraphQLContext,
  type GraphQLContext,
} from '../graphql/GraphQLContext.js';
import {
  createValidationRules,
  queryParseOptions,
  type QueryLimits,
} from '../graphql/createValidationRules.js';
import type { TemplateEventFeed } from '../graphql/TemplateEventFeed.js';
import {
  PUBLISH_DEADLINE_MILLIS,
  withPublishDeadline,
} from '../graphql/withPublishDeadline.js';
import type { Store } from '../store/Store.js';
import { createAuthenticator } from './createAuthenticator.js';
import { createGraphQLOperationsPlugin } from './createGraphQLOperationsPlugin.js';
import { createGraphQLWebSocketServer } from './createGraphQLWebSocketServer.js';
import { createReadinessCheck } from './createReadinessCheck.js';
import { handleRequestErrors } from './handleRequestErrors.js';
import { hideSuggestions } from './hideSuggestions.js';
import {
  graphqlRequestRecordOf,
  logGraphQLRequests,
  type GraphQLRequestRecord,
} from './logGraphQLRequests.js';
import { rejectSubscriptionsOverHttp } from './rejectSubscriptionsOverHttp.js';
import {
  serviceUnavailable,
  serviceUnavailableStatus,
} from './serviceUnavailableStatus.js';
import { defaultServerMetrics, type ServerMetrics } from './ServerMetrics.js';
import { acceptsTraffic, type ServerPhase } from './ServerPhase.js';

export interface CreateServerOptions {
  readonly config: Pick<
    Config,
    'port' | 'isProduction' | 'drainTimeoutSeconds' | 'auth'
  >;
  /** Interface to listen on. Default: all of them. */
  readonly host?: string;
  readonly logger: Logger;
  readonly store: Store;
  /** Publishes new templates' events; its attachment gates readiness. */
  readonly bus: Pick<EventBus, 'publish' | 'isAttached'>;
  /**
   * Where subscriptions get their events (the fan-out registry), and what
   * ends a closed WebSocket's subscribers.
   */
  readonly fanout: TemplateEventFeed & Pick<FanoutRegistry, 'closeConnection'>;
  /**
   * What /metrics renders and the server counts into. Default: no counters
   * and an empty registry; main.ts passes ./metrics/createMetrics.ts's.
   */
  readonly metrics?: ServerMetrics;
  /** The clock tokens are checked against. */
  readonly now?: () => Date;
  /** WebSocket ping interval. Default 12 s (graphql-ws's). */
  readonly webSocketKeepAliveMillis?: number;
  /**
   * How long addTemplate waits for the bus to accept an event before it
   * answers anyway; the outbox relay publishes the event later. Default
   * PUBLISH_DEADLINE_MILLIS (1 s).
   */
  readonly publishDeadlineMillis?: number;
  /**
   * Subscriptions one WebSocket connection may run at once; more get a
   * TOO_MANY_SUBSCRIPTIONS error. Default 20.
   */
  readonly maxSubscriptionsPerConnection?: number;
  /** Query depth, alias, cost and size limits, over HTTP and WebSocket. */
  readonly queryLimits?: QueryLimits;
  /**
   * GOOGLE_CLOUD_PROJECT, which Cloud Logging's trace field names: access
   * lines then carry the load balancer's trace. Default: no trace field.
   */
  readonly traceProjectId?: string;
}

/**
 * Apollo's context over HTTP: what resolvers see, plus the request's
 * access-log record for the operations plugin. (Apollo copies the context
 * per operation, so the record travels inside it rather than beside it.)
 */
type HttpContext = GraphQLContext & {
  readonly requestRecord: GraphQLRequestRecord | undefined;
};

/** The HTTP and WebSocket face of one instance. */
export interface TemplateFeedServer {
  readonly phase: ServerPhase;
  /** The port listened on (useful with PORT=0). Only once started. */
  readonly port: number;
  /** Open WebSockets, authenticated or not. */
  readonly webSocketClientCount: number;
  /** Starts Apollo and listens. Rejects when the port cannot be bound. */
  start(): Promise<void>;
  /**
   * Drains and stops: readiness fails, WebSockets close with 1001, in-flight
   * HTTP requests finish. Does not close the store, bus or fan-out it was
   * given; their owner does, after this resolves. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * How long an idle HTTP keep-alive connection stays open: longer than the
 * 600 s Google's load balancers keep theirs to a backend.
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_MILLIS = 620_000;

/**
 * Express + Apollo Server on POST /graphql, graphql-ws on the same path for
 * upgrades, and /healthz, /readyz and /metrics (DESIGN.md, "HTTP surface").
 */
export function createServer(options: CreateServerOptions): TemplateFeedServer {
  const { config, store, bus, fanout } = options;
  const metrics = options.metrics ?? defaultServerMetrics;
  const logger = options.logger.child({ module: 'server' });
  const graphqlLogger = options.logger.child({ module: 'graphql' });
  const accessLogger = options.logger.child({ module: 'http' });

  // The drain budget is the whole process's; the server spends at most
  // three quarters of it so the bus and store still get time to close.
  const drainMillis = config.drainTimeoutSeconds * 1_000;
  const webSocketGraceMillis = Math.min(5_000, drainMillis / 4);
  const httpGraceMillis = Math.min(10_000, drainMillis / 2);

  let phase: ServerPhase = 'starting';
  let listening = false;
  let stopping: Promise<void> | undefined;

  const schema = createSchema();
  const formatError = createErrorFormatter({
    isProduction: config.isProduction,
    logger: graphqlLogger,
  });
  const authenticator = createAuthenticator({
    auth: config.auth,
    store,
    now: options.now,
  });
  // A request waits for the bus only so long; what the bus has not
  // accepted by then, the outbox relay publishes later.
  const publishEvent = withPublishDeadline(
    (event: TemplateEvent) => bus.publish(event),
    options.publishDeadlineMillis ?? PUBLISH_DEADLINE_MILLIS,
  );
  const contextFor = (
    viewer: GraphQLContext['viewer'],
    logger: Logger,
    connectionId?: string,
  ) =>
    createGraphQLContext({
      viewer,
      store,
      fanout,
      publishEvent,
      logger,
      connectionId,
    });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  // Google's load balancer keeps its connections to a pod open for 600 s
  // and reuses them. A pod that closes an idle one first (Node's default is
  // 5 s) races the balancer's next request on it, which the client sees as
  // a 502. The pod must be the one to outlast the other.
  httpServer.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MILLIS;

  const webSockets = createGraphQLWebSocketServer({
    schema,
    authenticator,
    formatError,
    createContext: (viewer, connectionId, connectionLogger) =>
      contextFor(viewer, connectionLogger, connectionId),
    metrics,
    logger: options.logger.child({ module: 'websocket' }),
    isProduction: config.isProduction,
    keepAliveMillis: options.webSocketKeepAliveMillis,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection,
    queryLimits: options.queryLimits,
    onConnectionClosed: (connectionId) => fanout.closeConnection(connectionId),
    now: () => (options.now?.() ?? new Date()).getTime(),
  });

  httpServer.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!acceptsTraffic(phase)) {
      // Draining: the client should reconnect to another pod.
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    webSockets.handleUpgrade(request, socket, head);
  });

  const apollo = new ApolloServer<HttpContext>({
    schema,
    formatError,
    // Stacks go to the logs (formatError logs internal errors), never to
    // clients, in any environment.
    includeStacktraceInErrorResponses: false,
    // Introspection is refused by our own rule, which graphql-ws shares,
    // so both transports refuse it alike; Apollo's would add a second.
    introspection: true,
    // The limits graphql-ws applies too (createGraphQLWebSocketServer).
    validationRules: createValidationRules({
      limits: options.queryLimits,
      introspection: !config.isProduction,
    }),
    parseOptions: queryParseOptions(options.queryLimits),
    // No "Did you mean ...?" that would spell out the schema (the plugin
    // covers variables too).
    hideSchemaDetailsFromClientErrors: config.isProduction,
    // Automatic persisted queries would add codes outside our error table.
    persistedQueries: false,
    // main.ts owns signals and the order of shutdown.
    stopOnTerminationSignals: false,
    logger: options.logger.child({ module: 'apollo' }),
    plugins: [
      createGraphQLOperationsPlugin<HttpContext>({
        metrics,
        recordOf: (context) => context.requestRecord,
      }),
      rejectSubscriptionsOverHttp,
      ...(config.isProduction ? [hideSuggestions] : []),
      serviceUnavailableStatus,
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: httpGraceMillis,
      }),
      {
        // The subscriptions guide's pattern: Apollo's drain also closes the
        // WebSocket server. stop() has normally done so already.
        serverWillStart() {
          return Promise.resolve({
            async drainServer() {
              await webSockets.close(webSocketGraceMillis);
            },
          });
        },
      },
    ],
  });

  const readiness = createReadinessCheck({
    phase: () => phase,
    store,
    bus,
  });

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'alive' });
  });
  app.get('/readyz', async (_request, response) => {
    const report = await readiness();
    response.status(report.ready ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_request, response) => {
    response.type(metrics.contentType).send(await metrics.render());
  });

  return {
    get phase() {
      return phase;
    },
    get port() {
      const address = httpServer.address();
      if (address === null || typeof address === 'string') {
        throw new Error('the server is not listening on a TCP port');
      }
      return address.port;
    },
    get webSocketClientCount() {
      return webSockets.clientCount;
    },

    async start() {
      if (phase !== 'starting' || listening) {
        throw new Error(`cannot start a server that is ${phase}`);
      }
      await apollo.start();
      app.use(
        '/graphql',
        logGraphQLRequests(accessLogger, {
          traceProjectId: options.traceProjectId,
        }),
        express.json({ limit: '1mb' }),
        expressMiddleware(apollo, {
          context: async ({ req, res }) => {
            const record = graphqlRequestRecordOf(res);
            let result;
            try {
              result = await authenticator.authenticate(
                req.headers.authorization,
              );
            } catch (err) {
              if (!isServiceUnavailableError(err)) throw err;
              // The store or the identity provider is down: retryable, and
              // not our bug, so 503 and a warning rather than a 500.
              logger.warn({ err }, 'authentication could not be decided');
              if (record !== undefined) {
                record.outcome = ErrorCode.SERVICE_UNAVAILABLE;
              }
              throw serviceUnavailable();
            }
            if (!result.ok) {
              metrics.authenticationFailed('http');
              if (record !== undefined) {
                record.outcome = ErrorCode.UNAUTHENTICATED;
                record.authFailure = result.reason;
              }
              throw unauthenticated(result.message);
            }
            return {
              ...contextFor(result.user, graphqlLogger),
              requestRecord: record,
            };
          },
        }),
      );
      app.use(handleRequestErrors(logger, metrics));

      try {
        await listen(httpServer, config.port, options.host);
      } catch (err) {
        await apollo.stop();
        phase = 'stopped';
        throw err;
      }
      listening = true;
      phase = 'started';
      logger.info({ port: this.port }, 'http server listening');
    },

    stop() {
      stopping ??= (async () => {
        if (!listening) {
          phase = 'stopped';
          return;
        }

        // 1. Readiness answers 503 from now on, so the load balancer sends
        //    no new work; the upgrade handler refuses new WebSockets.
        phase = 'draining';
        logger.info(
          { webSocketClients: webSockets.clientCount },
          'server draining',
        );

        // 2. Open WebSockets close with 1001 (going away): clients
        //    reconnect, and land on a pod that is not draining.
        await webSockets.close(webSocketGraceMillis);

        // 3. Apollo's drain stops the listener and lets in-flight HTTP
        //    requests finish (cut off after the grace period).
        phase = 'stopping';
        await apollo.stop();

        phase = 'stopped';
        logger.info('server stopped');
      })();
      return stopping;
    },
  };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      // Apollo turns this into the response's status and headers.
      http: {
        status: 401,
        headers: new HeaderMap([['www-authenticate', 'Bearer']]),
      },
    },
  });
}

function listen(
  server: http.Server,
  port: number,
  host: string | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
