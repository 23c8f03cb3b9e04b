import { randomBytes } from 'node:crypto';
import net from 'node:net';

import { connectFeed } from '../support/feedClient.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';

interface Readiness {
  readonly status: number;
  readonly body: {
    readonly ready: boolean;
    readonly checks: Record<string, string>;
    readonly failed: string[];
  };
}

async function readiness(baseUrl: string): Promise<Readiness> {
  const response = await fetch(`${baseUrl}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as Readiness['body'],
  };
}

/**
 * Completes a WebSocket upgrade by hand and then ignores the socket, like a
 * client that has frozen: it never answers the server's close frame.
 */
function frozenWebSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        'GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
          'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
      );
    });
    socket.once('error', reject);
    socket.once('data', (data: Buffer) => {
      if (data.toString().startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${data.toString()}`));
    });
  });
}

/** The status line a WebSocket upgrade request gets. */
function upgradeStatus(port: number, path = '/graphql'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
      );
    });
    socket.once('error', reject);
    socket.once('data', (data: Buffer) => {
      resolve(data.toString().split('\r\n')[0]!);
      socket.destroy();
    });
  });
}

describe('health and readiness', () => {
  let instance: TestServer;
  let storeAnswers = true;
  let busAttached = true;

  beforeAll(async () => {
    instance = await startTestServer({
      serverStore: (store) =>
        Object.assign(Object.create(store) as typeof store, {
          ping: () =>
            storeAnswers
              ? store.ping()
              : Promise.reject(new Error('connection refused')),
        }),
      serverBus: (bus) => ({
        publish: (event) => bus.publish(event),
        isAttached: () => busAttached && bus.isAttached(),
      }),
    });
  });

  afterAll(async () => {
    await instance.stop();
  });

  afterEach(() => {
    storeAnswers = true;
    busAttached = true;
  });

  it('answers /healthz with 200', async () => {
    const response = await fetch(`${instance.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'alive' });
  });

  it('is ready when the store answers and the bus is attached', async () => {
    expect(await readiness(instance.baseUrl)).toEqual({
      status: 200,
      body: {
        ready: true,
        checks: { phase: 'started', store: 'reachable', bus: 'attached' },
        failed: [],
      },
    });
  });

  it('is not ready, and says why, when the store does not answer', async () => {
    storeAnswers = false;
    expect(await readiness(instance.baseUrl)).toEqual({
      status: 503,
      body: {
        ready: false,
        checks: { phase: 'started', store: 'unreachable', bus: 'attached' },
        failed: ['store'],
      },
    });
  });

  it('is not ready, and says why, when the bus is detached', async () => {
    busAttached = false;
    expect(await readiness(instance.baseUrl)).toMatchObject({
      status: 503,
      body: { failed: ['bus'], checks: { bus: 'detached' } },
    });
  });

  it('serves Prometheus text on /metrics', async () => {
    const response = await fetch(`${instance.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    await response.body?.cancel();
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    expect(await upgradeStatus(instance.server.port, '/elsewhere')).toBe(
      'HTTP/1.1 404 Not Found',
    );
  });
});

describe('stopping the server', () => {
  let instance: TestServer;

  beforeAll(async () => {
    instance = await startTestServer();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('fails readiness, refuses new sockets and closes open ones with 1001', async () => {
    const tokens = await seedUserTokens();
    const zolo = await connectFeed(instance.wsUrl, tokens.zolo, {
      label: 'zolo',
    });
    await zolo.barrier();
    // Holds the draining phase open until the close grace period ends.
    const frozen = await frozenWebSocket(instance.server.port);
    const port = instance.server.port;

    const stopped = instance.server.stop();
    expect(instance.server.phase).toBe('draining');
    expect(await readiness(instance.baseUrl)).toMatchObject({
      status: 503,
      body: { ready: false, failed: ['phase'], checks: { phase: 'draining' } },
    });
    expect(await upgradeStatus(port)).toBe('HTTP/1.1 503 Service Unavailable');
    expect(await zolo.closed).toBe(1001);

    await stopped;
    expect(instance.server.phase).toBe('stopped');
    expect(instance.server.webSocketClientCount).toBe(0);
    expect(
      instance.logs.withMessage(
        'websocket clients did not close in time, terminating them',
      ),
    ).toEqual([expect.objectContaining({ level: 'warn', remaining: 1 })]);
    expect(frozen.destroyed || frozen.readableEnded).toBe(true);
    frozen.destroy();
    await zolo.dispose();

    // Stopping again is harmless.
    await instance.server.stop();
  });
});
