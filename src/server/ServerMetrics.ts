import { register } from 'prom-client';

/**
 * What the HTTP and WebSocket server reports, and how GET /metrics renders.
 * main.ts passes an implementation backed by a prom-client registry; the
 * server only sees this interface, so metric names live in one place.
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
}

/**
 * prom-client's default registry with no counters of our own: the
 * placeholder until real metrics are wired in, and the default for tests.
 */
export const defaultServerMetrics: ServerMetrics = Object.freeze({
  contentType: register.contentType,
  render: () => register.metrics(),
  webSocketConnected: () => undefined,
  webSocketDisconnected: () => undefined,
  authenticationFailed: () => undefined,
});
