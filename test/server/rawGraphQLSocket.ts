import WebSocket from 'ws';

/** A graphql-transport-ws message as it came over the socket. */
export interface ProtocolMessage {
  readonly type: string;
  readonly id?: string;
  readonly payload?: unknown;
}

/** A GraphQL error inside an `error` or `next` message. */
export interface WireError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; [key: string]: unknown };
}

/**
 * A graphql-transport-ws connection with no client library in between, so
 * a test can send exactly the frames it means (reused ids, bursts) and see
 * every frame the server sends back.
 */
export interface RawGraphQLSocket {
  /** Every message received after `connection_ack`, in order. */
  readonly messages: ProtocolMessage[];
  /** Resolves with the close code once the socket has closed. */
  readonly closed: Promise<number>;
  send(message: ProtocolMessage): void;
  subscribe(id: string, query: string): void;
  complete(id: string): void;
  /**
   * A ping/pong round trip: the server answers only after it has handled
   * every message sent before the ping.
   */
  barrier(): Promise<void>;
  /** The `error` payloads received for `id`. */
  errorsOf(id: string): WireError[];
  /** The `next` payloads received for `id`. */
  nextsOf(id: string): unknown[];
  /** Closes with 1000 and waits for the close to finish. */
  close(): Promise<number>;
}

/**
 * Opens a socket to `wsUrl`, sends `connection_init` with `payload` and
 * resolves once acknowledged; rejects with the close code if refused.
 */
export function openRawGraphQLSocket(
  wsUrl: string,
  payload: Record<string, unknown>,
): Promise<RawGraphQLSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages: ProtocolMessage[] = [];
  const pongWaiters: (() => void)[] = [];
  const closed = new Promise<number>((resolve) => {
    socket.once('close', (code: number) => resolve(code));
  });
  const send = (message: ProtocolMessage) =>
    socket.send(JSON.stringify(message));

  const raw: RawGraphQLSocket = {
    messages,
    closed,
    send,
    subscribe: (id, query) =>
      send({ id, type: 'subscribe', payload: { query } }),
    complete: (id) => send({ id, type: 'complete' }),
    barrier: () =>
      new Promise<void>((resolve) => {
        pongWaiters.push(resolve);
        send({ type: 'ping' });
      }),
    errorsOf: (id) =>
      messages
        .filter((message) => message.type === 'error' && message.id === id)
        .flatMap((message) => message.payload as WireError[]),
    nextsOf: (id) =>
      messages
        .filter((message) => message.type === 'next' && message.id === id)
        .map((message) => message.payload),
    close: () => {
      socket.close(1000);
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    void closed.then((code) =>
      reject(new Error(`closed with ${code} before the ack`)),
    );
    socket.once('open', () => send({ type: 'connection_init', payload }));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as ProtocolMessage;
      if (message.type === 'connection_ack') resolve(raw);
      else if (message.type === 'pong') pongWaiters.shift()?.();
      else messages.push(message);
    });
  });
}
