import { OutboxRelay } from '../../src/server/OutboxRelay.js';
import { connectFeed } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';

describe('a publish that fails after the template is stored', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;
  let publishWorks = false;

  beforeAll(async () => {
    instance = await startTestServer({
      serverBus: (bus) => ({
        isAttached: () => bus.isAttached(),
        publish: (event) =>
          publishWorks
            ? bus.publish(event)
            : Promise.reject(new Error('topic unreachable')),
      }),
    });
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('still succeeds, and the outbox relay delivers the event exactly once', async () => {
    const zolo = await connectFeed(instance.wsUrl, tokens.zolo, {
      label: 'zolo',
    });
    try {
      await zolo.barrier();
      const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
        name: 'published later',
        shareLocationIds: ['location-3'],
      });
      expect(await instance.countTemplateRows()).toBe(1);
      expect(
        instance.logs.withMessage(
          'template event publish failed, left to the outbox relay',
        ),
      ).toHaveLength(1);

      const relay = new OutboxRelay({
        store: instance.store,
        publish: (event) => instance.bus.publish(event),
        logger: instance.logs.logger,
        minimumAgeMillis: 0,
      });
      publishWorks = true;
      expect(await relay.runOnce()).toBe(1);
      await zolo.waitForCount(1);
      expect(zolo.received.map((template) => template.id)).toEqual([added.id]);

      // Marked published: the next round finds nothing to do.
      expect(await relay.runOnce()).toBe(0);
      await relay.stop();
      await zolo.barrier();
      expect(zolo.received).toHaveLength(1);
    } finally {
      await zolo.dispose();
    }
  });

  it('leaves events younger than its minimum age to their publisher', async () => {
    publishWorks = false;
    await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'too fresh to republish',
      shareLocationIds: ['location-3'],
    });
    const relay = new OutboxRelay({
      store: instance.store,
      publish: (event) => instance.bus.publish(event),
      logger: instance.logs.logger,
      minimumAgeMillis: 60_000,
    });
    expect(await relay.runOnce()).toBe(0);
    const later = new OutboxRelay({
      store: instance.store,
      publish: (event) => instance.bus.publish(event),
      logger: instance.logs.logger,
      minimumAgeMillis: 60_000,
      now: () => Date.now() + 120_000,
    });
    expect(await later.runOnce()).toBe(1);
  });
});
