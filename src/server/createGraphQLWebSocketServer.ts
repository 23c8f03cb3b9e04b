import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import {
  GraphQLError,
  getOperationAST,
  specifiedRules,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';

import { ErrorCode } from '../domain/errorCodes.js';
import type { User } from '../domain/types.js';
import type { ErrorFormatter } from '../graphql/formatError.js';
import type { GraphQLContext } from '../graphql/GraphQLContext.js';
import { isServiceUnavailableError } from '../graphql/isServiceUnavailableError.js';
import {
  createValidationRules,
  queryParseOptions,
  type QueryLimits,
} from '../graphql/createValidationRules.js';
import {
  ConnectionOperations,
  emptyGenerator,
} from './ConnectionOperations.js';
import type { Authenticator } from './createAuthenticator.js';
import { onTokenExpiry, tokenExpiresAtMillis } from './onTokenExpiry.js';
import { operationOutcome } from './operationOutcome.js';
import { prepareOperation, type OperationChecks } from './prepareOperation.js';
import type { GraphQLOperationType, ServerMetrics } from './ServerMetrics.js';

/** The WebSocket close code for "server going away" (RFC 6455). */
export const GOING_AWAY_CLOSE_CODE = 1001;

/**
 * "Try Again Later" (RFC 6455): the store or the identity provider is down.
 * graphql-ws clients retry it, whereas 4500 is fatal to them.
 */
export const TRY_AGAIN_LATER_CLOSE_CODE = 1013;

/** Subscriptions one connection may run at once, unless configured. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/** What a client sends in `connection_init`. */
type ConnectionParams = Readonly<Record<string, unknown>>;

/** Per-connection state kept between graphql-ws callbacks. */
interface Connection {
  viewer: User;
  connectionId: string;
  logger: Logger;
  /**
   * Queries and mutations (by message id) whose single result is still to
   * be sent: their outcome is counted when it is.
   */
  pendingResults: Map<string, GraphQLOperationType>;
  /** What runs on this connection, and the limits on it. */
  operations: ConnectionOperations;
  /** Cancels the close scheduled for when the token expires. */
  cancelExpiry: () => void;
}

export interface GraphQLWebSocketServerOptions {
  readonly schema: GraphQLSchema;
  readonly authenticator: Authenticator;
  readonly formatError: ErrorFormatter;
  readonly createContext: (
    viewer: User,
    connectionId: string,
    logger: Logger,
  ) => GraphQLContext;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly isProduction: boolean;
  /** Ping interval; a peer silent for as long again is cut off. */
  readonly keepAliveMillis?: number;
  /** Largest accepted message. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /**
   * Subscriptions one connection may run at once; a `subscribe` beyond it
   * gets a TOO_MANY_SUBSCRIPTIONS error. Default 20.
   */
  readonly maxSubscriptionsPerConnection?: number;
  /** Depth, alias, cost and size limits. Default: DEFAULT_QUERY_LIMITS. */
  readonly queryLimits?: QueryLimits;
  /**
   * Called once the socket of an authenticated connection has closed, with
   * that connection's id: the place to end whatever it left behind.
   */
  readonly onConnectionClosed?: (connectionId: string) => void;
  /** The clock token expiry is measured against. Default `Date.now`. */
  readonly now?: () => number;
}

/** graphql-ws on a `ws` server that the HTTP server hands upgrades to. */
export interface GraphQLWebSocketServer {
  /** Open sockets, authenticated or not. */
  readonly clientCount: number;
  /** Takes over an HTTP upgrade request for /graphql. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Closes every socket with 1001 (going away) so clients reconnect to
   * another pod, waits up to `graceMillis` for their close handshakes, then
   * cuts off the rest. Later calls return the first call's promise.
   */
  close(graceMillis: number): Promise<void>;
}

/**
 * The subscription transport: graphql-transport-ws on /graphql, with
 * authentication in `connection_init` (DESIGN.md, "Authentication"). A
 * missing credential closes with 4401, a refused one with 4403, and so does
 * the token's expiry later on; neither the token nor the connection params
 * are ever logged. Operations pass the same validation as over HTTP
 * (limits, and no introspection in production).
 */
export function createGraphQLWebSocketServer(
  options: GraphQLWebSocketServerOptions,
): GraphQLWebSocketServer {
  const { schema, authenticator, formatError, metrics, logger } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
  });
  const now = options.now ?? Date.now;
  // Each authenticated socket's own logger (connection and user id), for
  // what happens on the socket outside graphql-ws's callbacks.
  const socketLoggers = new WeakMap<WebSocket, Logger>();
  const maxSubscriptions =
    options.maxSubscriptionsPerConnection ??
    DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION;
  const checks: OperationChecks = {
    schema,
    // What Apollo validates with over HTTP (createServer).
    validationRules: [
      ...specifiedRules,
      ...createValidationRules({
        limits: options.queryLimits,
        introspection: !options.isProduction,
      }),
    ],
    parseOptions: queryParseOptions(options.queryLimits),
    hideSuggestions: options.isProduction,
  };
  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => formatError(error.toJSON(), error));

  // graphql-ws's ws adapter reports socket errors with console.error;
  // handleUpgrade below hands them to our logger instead (logSocketErrors).
  // Its listener on the WebSocketServer itself can never fire: with
  // noServer, ws forwards no server errors (we own the HTTP server).
  const disposable = useServer<ConnectionParams, Partial<Connection>>(
    {
      schema,
      isProd: options.isProduction,

      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const authorization = authorizationOf(ctx.connectionParams);
        let result;
        try {
          result = await authenticator.authenticate(authorization);
        } catch (err) {
          if (isServiceUnavailableError(err)) {
            // Not our bug, and the client should come back: a retryable
            // close and a warning.
            logger.warn(
              { err },
              'websocket authentication could not be decided',
            );
            socket.close(TRY_AGAIN_LATER_CLOSE_CODE, 'Try Again Later');
            return false;
          }
          logger.error({ err }, 'websocket authentication failed unexpectedly');
          socket.close(CloseCode.InternalServerError, 'Internal server error');
          return false;
        }
        if (!result.ok) {
          metrics.authenticationFailed('websocket');
          const closeCode =
            result.reason === 'missing'
              ? CloseCode.Unauthorized
              : CloseCode.Forbidden;
          // A client mistake: info, without the token or connection params.
          logger.info(
            { reason: result.reason, closeCode },
            'websocket connection refused',
          );
          // Closing here rather than returning false picks the close code;
          // graphql-ws's own close that follows is a no-op on a closing socket.
          socket.close(
            closeCode,
            closeCode === CloseCode.Unauthorized ? 'Unauthorized' : 'Forbidden',
          );
          return false;
        }

        // Gone while we were checking: no state to set up, nothing to ack.
        if (socket.readyState !== socket.OPEN) return false;

        const connectionId = randomUUID();
        const connectionLogger = logger.child({
          connectionId,
          userId: result.user.id,
        });
        ctx.extra.viewer = result.user;
        ctx.extra.connectionId = connectionId;
        ctx.extra.logger = connectionLogger;
        socketLoggers.set(socket, connectionLogger);
        ctx.extra.pendingResults = new Map();
        ctx.extra.operations = new ConnectionOperations(ctx, maxSubscriptions);
        // The token was checked once; the socket must not outlive it.
        const expiresAtMillis = tokenExpiresAtMillis(authorization);
        ctx.extra.cancelExpiry =
          expiresAtMillis === undefined
            ? () => undefined
            : onTokenExpiry(expiresAtMillis, now, () => {
                connectionLogger.info(
                  { closeCode: CloseCode.Forbidden },
                  'websocket token expired, closing',
                );
                socket.close(CloseCode.Forbidden, 'Token expired');
              });
        connectionLogger.debug('websocket connected');
        metrics.webSocketConnected();
        return true;
      },

      onSubscribe: (ctx, id, payload) => {
        const {
          viewer,
          connectionId,
          logger: connectionLogger,
          operations,
        } = ctx.extra;
        // graphql-ws only subscribes acknowledged connections, and
        // onConnect sets all of these before acknowledging.
        if (
          viewer === undefined ||
          connectionId === undefined ||
          connectionLogger === undefined ||
          operations === undefined
        ) {
          throw new Error('subscribe on an unauthenticated connection');
        }

        // Refusals are counted here; what runs is counted in onOperation
        // (subscriptions) or onNext (a query's or mutation's one result).
        const refuse = (
          type: GraphQLOperationType,
          errors: readonly GraphQLError[],
        ) => {
          metrics.graphqlOperationCompleted(type, operationOutcome(errors));
          return errors;
        };

        // Before any work: the id's earlier operation is still finishing,
        // and running both would lose track of one (ConnectionOperations).
        if (operations.isRunning(id)) {
          return refuse('unknown', [operationIdInUse(id)]);
        }

        const prepared = prepareOperation(checks, payload);
        if (!prepared.ok) return refuse(prepared.type, prepared.errors);

        const refusal = operations.admit(id, prepared.type);
        switch (refusal) {
          case undefined:
            break;
          case 'id-in-use':
            return refuse(prepared.type, [operationIdInUse(id)]);
          case 'too-many-subscriptions':
            connectionLogger.info(
              { maxSubscriptions },
              'websocket subscription refused, too many on the connection',
            );
            return refuse(prepared.type, [
              new GraphQLError(
                `This connection already runs ${maxSubscriptions} ` +
                  'subscriptions, the most one may; complete one first.',
                {
                  extensions: {
                    code: ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                    maxSubscriptions,
                  },
                },
              ),
            ]);
        }

        return {
          schema,
          document: prepared.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          hideSuggestions: options.isProduction,
          contextValue: options.createContext(
            viewer,
            connectionId,
            connectionLogger,
          ),
        };
      },

      onOperation: (ctx, id, _payload, args, result) => {
        const operation = getOperationAST(args.document, args.operationName);
        const type = operation?.operation ?? 'unknown';
        if (ctx.extra.operations?.wasCompletedEarly(id) === true) {
          // The client completed it while it was starting (it may even
          // have reused the id since): end it now, and hand graphql-ws an
          // empty result to finish with instead.
          if (Symbol.asyncIterator in result && 'return' in result) {
            result.return(undefined).catch((err: unknown) => {
              ctx.extra.logger?.warn({ err }, 'ending an operation failed');
            });
          }
          return emptyGenerator();
        }
        if (Symbol.asyncIterator in result) {
          metrics.graphqlOperationCompleted(type, 'success');
        } else {
          // One result (a query, a mutation, or a subscription refused by
          // its resolver): counted with the codes onNext gives its errors.
          ctx.extra.pendingResults?.set(id, type);
        }
        return undefined;
      },

      onNext: (ctx, id, _payload, _args, result) => {
        const formatted =
          result.errors === undefined
            ? undefined
            : { ...result, errors: format(result.errors) };
        const pendingType = ctx.extra.pendingResults?.get(id);
        if (pendingType !== undefined) {
          ctx.extra.pendingResults?.delete(id);
          metrics.graphqlOperationCompleted(
            pendingType,
            operationOutcome(formatted?.errors),
          );
        }
        return formatted;
      },

      onError: (_ctx, _id, _payload, errors) => format(errors),

      onComplete: (ctx, id) => {
        ctx.extra.operations?.finish(id);
      },

      onDisconnect: (ctx, code) => {
        metrics.webSocketDisconnected();
        ctx.extra.logger?.debug({ code }, 'websocket disconnected');
      },

      onClose: (ctx, code, reason) => {
        ctx.extra.cancelExpiry?.();
        if (PROTOCOL_VIOLATIONS.has(code ?? 0)) {
          // The client's mistake, so info; the refusals (4401, 4403) have
          // lines of their own.
          (ctx.extra.logger ?? logger).info(
            { code, reason },
            'websocket closed for a protocol violation',
          );
        }
        // graphql-ws has ended the subscriptions it knows of by now; this
        // ends any it lost track of (see ConnectionOperations).
        const { connectionId } = ctx.extra;
        if (connectionId !== undefined) {
          options.onConnectionClosed?.(connectionId);
        }
      },
    },
    wss,
    options.keepAliveMillis,
  );

  let closing: Promise<void> | undefined;
  const close = async (graceMillis: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMillis);
    });
    // graphql-ws's dispose sends 1001 to every client and resolves once the
    // last of them is gone.
    const disposed = Promise.resolve(disposable.dispose());
    const outcome = await Promise.race([
      disposed.then(() => 'closed' as const),
      graceOver,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.warn(
        { remaining: wss.clients.size },
        'websocket clients did not close in time, terminating them',
      );
      for (const client of wss.clients) client.terminate();
      await disposed;
    }
  };

  return {
    get clientCount() {
      return wss.clients.size;
    },
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (webSocket) => {
        wss.emit('connection', webSocket, request);
        logSocketErrors(
          webSocket,
          () => socketLoggers.get(webSocket) ?? logger,
        );
      });
    },
    close(graceMillis) {
      closing ??= close(graceMillis);
      return closing;
    },
  };
}

/**
 * Close codes graphql-ws uses when the client broke the graphql-transport-ws
 * protocol: a bad message, no connection_init in time, a second one, a
 * subscription id already in use, an unsupported subprotocol.
 */
const PROTOCOL_VIOLATIONS: ReadonlySet<number> = new Set([
  CloseCode.BadRequest,
  CloseCode.ConnectionInitialisationTimeout,
  CloseCode.TooManyInitialisationRequests,
  CloseCode.SubscriberAlreadyExists,
  CloseCode.SubprotocolNotAcceptable,
]);

/**
 * Takes over the socket's 'error' listener from graphql-ws's adapter, which
 * writes a multi-line console.error and answers 1011 Internal Error. Nearly
 * every socket error is the client's: a frame that breaks the protocol
 * (invalid UTF-8, an unmasked or oversize frame), for which ws has already
 * begun the close with the right code (1007, 1002, 1009). That is one
 * structured line at info, like any other client mistake. Anything else
 * (a failed write) is logged at warn; ws destroys that socket itself.
 */
function logSocketErrors(webSocket: WebSocket, loggerOf: () => Logger): void {
  webSocket.removeAllListeners('error');
  webSocket.on('error', (err: Error & { code?: string }) => {
    const code = err.code;
    const logger = loggerOf();
    if (code?.startsWith('WS_ERR_') === true) {
      logger.info({ code }, 'websocket protocol error from client');
    } else {
      logger.warn({ err }, 'websocket socket error');
    }
  });
}

/**
 * The `Authorization` entry of `connection_init`'s payload, whatever its
 * case (HTTP header names are case-insensitive, and clients send both). A
 * null value counts as none.
 */
function authorizationOf(params: ConnectionParams | undefined): unknown {
  if (params === undefined) return undefined;
  if (params.authorization !== undefined && params.authorization !== null) {
    return params.authorization;
  }
  for (const [key, value] of Object.entries(params)) {
    if (key.toLowerCase() === 'authorization' && value !== null) return value;
  }
  return undefined;
}

function operationIdInUse(id: string): GraphQLError {
  return new GraphQLError(
    `Operation id "${id}" belongs to an operation the server is still ` +
      'finishing; subscribe with a new id.',
    { extensions: { code: ErrorCode.OPERATION_ID_IN_USE } },
  );
}
