import { addTemplate } from '../support/graphqlHttp.js';
import { connectFeed, refusedCloseCode } from '../support/feedClient.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens, signToken } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';

describe('WebSocket tokens', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('closes the socket with 4403 once the token expires, and ends its subscription', async () => {
    const expiresAtSeconds = Math.floor(Date.now() / 1_000) + 2;
    const token = await signToken('zolo', { expiresAtSeconds });
    const feed = await connectFeed(instance.wsUrl, token, {
      label: 'zolo (expiring)',
    });
    await feed.barrier();
    expect(instance.fanout.subscriberCount).toBe(1);

    const closeCode = await Promise.race([
      feed.closed,
      new Promise<string>((resolve) => {
        setTimeout(() => resolve('still open 10 s later'), 10_000).unref();
      }),
    ]);

    expect(closeCode).toBe(4403);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAtSeconds * 1_000);
    await waitUntil(
      () => instance.fanout.subscriberCount === 0,
      'the expired connection leaves no subscriber',
    );
    expect(
      instance.logs.withMessage('websocket token expired, closing'),
    ).toEqual([expect.objectContaining({ level: 'info', closeCode: 4403 })]);
    await feed.dispose();
  });

  it('keeps a socket whose token is still valid', async () => {
    const feed = await connectFeed(instance.wsUrl, tokens.zolo, {
      label: 'zolo',
    });
    await feed.barrier();

    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'still listening',
      shareLocationIds: ['location-3'],
    });
    await feed.waitForCount(1);

    expect(feed.received.map((template) => template.id)).toEqual([added.id]);
    expect(feed.closeCode).toBeUndefined();
    await feed.dispose();
  });

  it('accepts the token under a capitalised Authorization key', async () => {
    const feed = await connectFeed(instance.wsUrl, undefined, {
      label: 'zelo (Authorization)',
      connectionParams: { Authorization: `Bearer ${tokens.zelo}` },
    });
    await feed.barrier();

    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'for a capitalised key',
      shareLocationIds: ['location-2'],
    });
    await feed.waitForCount(1);

    expect(feed.received.map((template) => template.id)).toEqual([added.id]);
    await feed.dispose();
  });

  it('treats a null authorization as missing (4401)', async () => {
    expect(
      await refusedCloseCode(instance.wsUrl, { authorization: null }),
    ).toBe(4401);
  });

  it('still refuses a bad token under a capitalised key (4403)', async () => {
    expect(
      await refusedCloseCode(instance.wsUrl, {
        Authorization: 'Bearer not-a-token',
      }),
    ).toBe(4403);
  });
});
