import http from 'node:http';

import { HTTP_KEEP_ALIVE_TIMEOUT_MILLIS } from '../../src/server/createServer.js';
import { connectFeed } from '../support/feedClient.js';
import {
  openFrozenWebSocket,
  upgradeStatusLine,
} from '../support/rawUpgrade.js';
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

  it('keeps idle HTTP connections open longer than the load balancer does (600 s)', async () => {
    // Node announces its keepAliveTimeout in every keep-alive response.
    const keepAlive = await new Promise<string | undefined>(
      (resolve, reject) => {
        const agent = new http.Agent({ keepAlive: true });
        http
          .get(`${instance.baseUrl}/healthz`, { agent }, (response) => {
            response.resume();
            resolve(String(response.headers['keep-alive']));
            agent.destroy();
          })
          .on('error', reject);
      },
    );
    expect(keepAlive).toBe(`timeout=${HTTP_KEEP_ALIVE_TIMEOUT_MILLIS / 1_000}`);
    expect(HTTP_KEEP_ALIVE_TIMEOUT_MILLIS).toBeGreaterThan(600_000);
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    expect(await upgradeStatusLine(instance.server.port, '/elsewhere')).toBe(
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
    const frozen = await openFrozenWebSocket(instance.server.port);
    const port = instance.server.port;

    const stopped = instance.server.stop();
    expect(instance.server.phase).toBe('draining');
    expect(await readiness(instance.baseUrl)).toMatchObject({
      status: 503,
      body: { ready: false, failed: ['phase'], checks: { phase: 'draining' } },
    });
    expect(await upgradeStatusLine(port)).toBe(
      'HTTP/1.1 503 Service Unavailable',
    );
    expect(await zolo.closed).toBe(1001);

    await stopped;
    expect(instance.server.phase).toBe('stopped');
    expect(instance.server.webSocketClientCount).toBe(0);
    expect(
      instance.logs.withMessage(
        'websocket clients did not close in time, terminating them',
      ),
    ).toEqual([expect.objectContaining({ level: 'warn', remaining: 1 })]);
    // The server cut the frozen client off.
    if (!frozen.closed) {
      await new Promise((resolve) => frozen.once('close', resolve));
    }
    await zolo.dispose();

    // Stopping again is harmless.
    await instance.server.stop();
  });
});
