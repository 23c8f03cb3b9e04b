import WebSocket from 'ws';

import { connectFeed } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';

const SUBSCRIBERS = 1_000;
const BATCH = 100;
const SUBSCRIBERS_BY_USER = ['zolo', 'zewi', 'zelo', 'zapa', 'zuri'];

/**
 * A bare graphql-transport-ws client: opens the socket, authenticates,
 * subscribes to templateAdded and resolves once acknowledged. No library in
 * between, so the test can drop the TCP connection without a close frame.
 */
function openSubscriber(wsUrl: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.once('error', reject);
    socket.once('open', () => {
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${token}` },
        }),
      );
    });
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type !== 'connection_ack') return;
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: 'subscription { templateAdded { id } }' },
        }),
      );
      resolve(socket);
    });
  });
}

describe('subscribers that vanish without closing', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it(`leaves nothing behind when ${SUBSCRIBERS} sockets are cut off`, async () => {
    const sockets: WebSocket[] = [];
    for (let first = 0; first < SUBSCRIBERS; first += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, offset) => {
        const userId =
          SUBSCRIBERS_BY_USER[(first + offset) % SUBSCRIBERS_BY_USER.length]!;
        return openSubscriber(instance.wsUrl, tokens[userId]!);
      });
      sockets.push(...(await Promise.all(batch)));
    }
    await waitUntil(
      () => instance.fanout.subscriberCount === SUBSCRIBERS,
      `${SUBSCRIBERS} subscribers registered`,
      30_000,
      () => instance.fanout.subscriberCount,
    );
    expect(instance.server.webSocketClientCount).toBe(SUBSCRIBERS);

    // Drop every TCP connection: no close frame, no complete message.
    for (const socket of sockets) socket.terminate();

    await waitUntil(
      () =>
        instance.fanout.subscriberCount === 0 &&
        instance.server.webSocketClientCount === 0,
      'every subscriber and socket gone',
      30_000,
      () => ({
        subscribers: instance.fanout.subscriberCount,
        sockets: instance.server.webSocketClientCount,
      }),
    );
    const stats = instance.fanout.stats();
    expect(stats).toMatchObject({
      subscribers: 0,
      pendingNexts: 0,
      queuedEvents: 0,
    });
    for (const size of Object.values(stats.indexKeys)) expect(size).toBe(0);

    // The instance still delivers, to the one subscriber now connected.
    const zolo = await connectFeed(instance.wsUrl, tokens.zolo, {
      label: 'zolo',
    });
    try {
      await zolo.barrier();
      expect(instance.fanout.subscriberCount).toBe(1);
      const shared = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
        name: 'after the storm',
        shareLocationIds: ['location-3'],
      });
      await zolo.waitForCount(1);
      expect(zolo.received.map((template) => template.id)).toEqual([shared.id]);
    } finally {
      await zolo.dispose();
    }
  });
});
