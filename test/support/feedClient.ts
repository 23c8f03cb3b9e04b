import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export const TEMPLATE_ADDED = /* GraphQL */ `
  subscription {
    templateAdded {
      id
      name
      shareLocationIds
    }
  }
`;

/** A `templateAdded` payload as the default selection asks for it. */
export interface FeedTemplate {
  readonly id: string;
  readonly name: string;
  readonly shareLocationIds: string[];
  readonly [field: string]: unknown;
}

/**
 * One graphql-ws client (one WebSocket) with a `templateAdded` subscription,
 * recording everything it receives.
 */
export interface FeedClient {
  readonly label: string;
  /** `templateAdded` of every `next`, in arrival order. */
  readonly received: FeedTemplate[];
  /** Payloads of `error` messages and errors inside `next`. */
  readonly errors: unknown[];
  /** The close code, once the socket has closed. */
  readonly closeCode: number | undefined;
  /** Resolves with the close code when the socket closes. */
  readonly closed: Promise<number>;
  /**
   * A ping/pong round trip on the socket. The server answers a ping only
   * after handling the messages sent before it, so once this resolves,
   * every subscription started earlier is registered on the server.
   */
  barrier(): Promise<void>;
  /** Resolves once `received` has `count` entries; rejects after a timeout. */
  waitForCount(count: number, timeoutMillis?: number): Promise<void>;
  /** Completes the subscription and closes the socket (code 1000). */
  dispose(): Promise<void>;
}

export interface ConnectFeedOptions {
  /** Name for failure messages, e.g. "zowi#2". */
  readonly label?: string;
  /** The subscription document. Default: `TEMPLATE_ADDED`. */
  readonly query?: string;
  /** `connection_init` payload. Default `{ authorization: 'Bearer <token>' }`. */
  readonly connectionParams?: Record<string, unknown>;
}

/**
 * Connects to `wsUrl` with `token`, waits for the connection ack and starts
 * the subscription. Rejects with the close code if the server refuses.
 */
export async function connectFeed(
  wsUrl: string,
  token: string | undefined,
  options: ConnectFeedOptions = {},
): Promise<FeedClient> {
  const label = options.label ?? 'client';
  const received: FeedTemplate[] = [];
  const errors: unknown[] = [];
  let closeCode: number | undefined;
  let socket: WebSocket | undefined;
  const pongWaiters = new Map<number, () => void>();
  const countWaiters = new Set<() => void>();
  let nextBarrier = 0;

  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  let settleConnect!: (error?: Error) => void;
  const connected = new Promise<void>((resolve, reject) => {
    settleConnect = (error) =>
      error === undefined ? resolve() : reject(error);
  });

  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    // Refusals are what some tests expect; they surface through `closed`.
    onNonLazyError: () => undefined,
    connectionParams:
      options.connectionParams ??
      (token === undefined ? {} : { authorization: `Bearer ${token}` }),
    on: {
      connected: (connectedSocket) => {
        socket = connectedSocket as WebSocket;
        settleConnect();
      },
      closed: (event) => {
        closeCode = (event as { code: number }).code;
        resolveClosed(closeCode);
        settleConnect(
          new ConnectionClosedError(label, closeCode, closeReason(event)),
        );
      },
      pong: (receivedPong, payload) => {
        const id = (payload as { barrier?: unknown } | undefined)?.barrier;
        if (receivedPong && typeof id === 'number') pongWaiters.get(id)?.();
      },
    },
  });
  try {
    await connected;
  } catch (err) {
    await client.dispose();
    throw err;
  }

  const unsubscribe = client.subscribe(
    { query: options.query ?? TEMPLATE_ADDED },
    {
      next: (result: ExecutionResult<Record<string, unknown>>) => {
        if (result.errors !== undefined) errors.push(...result.errors);
        const template = result.data?.templateAdded;
        if (template !== undefined && template !== null) {
          received.push(template as FeedTemplate);
          for (const wake of countWaiters) wake();
        }
      },
      // graphql-ws hands `error` messages over as the array they carry.
      error: (error) => {
        if (Array.isArray(error)) errors.push(...(error as unknown[]));
        else errors.push(error);
      },
      complete: () => undefined,
    },
  );

  return {
    label,
    received,
    errors,
    get closeCode() {
      return closeCode;
    },
    closed,
    barrier() {
      const id = (nextBarrier += 1);
      return withTimeout(
        new Promise<void>((resolve) => {
          pongWaiters.set(id, () => {
            pongWaiters.delete(id);
            resolve();
          });
          socket?.send(
            JSON.stringify({ type: 'ping', payload: { barrier: id } }),
          );
        }),
        10_000,
        `${label}: no pong for barrier ${id}`,
      );
    },
    waitForCount(count, timeoutMillis = 10_000) {
      return withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (received.length >= count) {
              countWaiters.delete(check);
              resolve();
            }
          };
          countWaiters.add(check);
          check();
        }),
        timeoutMillis,
        `${label}: expected ${count} templateAdded, got ${received.length}`,
      );
    },
    async dispose() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** The server closed the socket before acknowledging the connection. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';

  constructor(
    label: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${label}: closed with ${code} ${reason}`);
  }
}

/** Connects expecting a refusal; resolves with the close code. */
export async function refusedCloseCode(
  wsUrl: string,
  connectionParams: Record<string, unknown>,
): Promise<number> {
  try {
    const feed = await connectFeed(wsUrl, undefined, { connectionParams });
    await feed.dispose();
  } catch (err) {
    if (err instanceof ConnectionClosedError) return err.code;
    throw err;
  }
  throw new Error('the server acknowledged the connection');
}

function closeReason(event: unknown): string {
  const reason = (event as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : '';
}

async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMillis: number,
  message: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMillis);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
