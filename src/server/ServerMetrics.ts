import { Registry } from 'prom-client';

/** The kind of a GraphQL operation; `unknown` when it never resolved. */
export type GraphQLOperationType =
  'query' | 'mutation' | 'subscription' | 'unknown';

/**
 * How a GraphQL operation ended: `success`, or the `extensions.code` of its
 * first error (always a code from domain/errorCodes.ts once formatted).
 */
export type GraphQLOperationOutcome = string;

/**
 * What the HTTP and WebSocket server reports, and how GET /metrics renders.
 * main.ts passes an implementation backed by a prom-client registry
 * (./metrics/createMetrics.ts); the server only sees this interface, so
 * metric names live in one place.
 */
export interface ServerMetrics {
  /** The Content-Type of `render()`'s text (Prometheus exposition). */
  readonly contentType: string;
  /** The body of GET /metrics. */
  render(): Promise<string>;
  /** A WebSocket passed authentication and was acknowledged. */
  webSocketConnected(): void;
  /** An acknowledged WebSocket closed, for whatever reason. */
  webSocketDisconnected(): void;
  /** A request or connection was refused for its credentials. */
  authenticationFailed(transport: 'http' | 'websocket'): void;
  /**
   * A GraphQL operation's outcome is known: for queries and mutations when
   * the response is sent; for subscriptions when the subscription starts or
   * is refused (how it later ends is the fan-out's `subscriberRemoved`).
   */
  graphqlOperationCompleted(
    type: GraphQLOperationType,
    outcome: GraphQLOperationOutcome,
  ): void;
}

// An empty registry of its own, so the default never touches prom-client's
// global one (several servers may share a test process).
const emptyRegistry = new Registry();

/**
 * No counters and an empty /metrics: the default for servers built without
 * metrics (in-process tests). main.ts always passes real ones.
 */
export const defaultServerMetrics: ServerMetrics = Object.freeze({
  contentType: emptyRegistry.contentType,
  render: () => emptyRegistry.metrics(),
  webSocketConnected: () => undefined,
  webSocketDisconnected: () => undefined,
  authenticationFailed: () => undefined,
  graphqlOperationCompleted: () => undefined,
});
