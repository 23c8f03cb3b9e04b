import type { TemplateEvent } from '../../src/domain/types.js';
import { PUBLISH_DEADLINE_MILLIS } from '../../src/graphql/withPublishDeadline.js';
import { OutboxRelay } from '../../src/server/OutboxRelay.js';
import { connectFeed } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';

/**
 * The bus the server publishes to takes as long as the test says: each
 * publish waits until the test settles it (or forever). Before the
 * deadline, addTemplate hung for as long as Pub/Sub's client retried
 * (50-80 s with the emulator gone), and callers timed out and retried.
 */
describe('a publish that does not finish', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;
  const pending: {
    event: TemplateEvent;
    resolve: () => void;
    reject: (err: Error) => void;
  }[] = [];

  beforeAll(async () => {
    instance = await startTestServer({
      serverBus: (bus) => ({
        isAttached: () => bus.isAttached(),
        publish: (event) =>
          new Promise<void>((resolve, reject) => {
            pending.push({ event, resolve, reject });
          }),
      }),
    });
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  beforeEach(() => {
    pending.length = 0;
  });

  const unpublishedIds = async () =>
    (
      await instance.store.listUnpublishedEvents(
        new Date(Date.now() + 60_000),
        100,
      )
    ).map(({ event }) => event.id);

  const relayAtAnHourFromNow = () =>
    new OutboxRelay({
      store: instance.store,
      publish: (event) => instance.bus.publish(event),
      logger: instance.logs.logger,
      // A fake clock an hour ahead: every stored event is old enough.
      now: () => Date.now() + 3_600_000,
    });

  it('answers with the stored template, and the outbox relay delivers it later, once', async () => {
    const zolo = await connectFeed(instance.wsUrl, tokens.zolo, {
      label: 'zolo',
    });
    try {
      await zolo.barrier();

      // 1. The mutation answers although its publish never finishes.
      const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
        name: 'stuck publish',
        shareLocationIds: ['location-3'],
      });
      expect(added).toMatchObject({
        name: 'stuck publish',
        shareLocationIds: ['location-3'],
        createdBy: { id: 'zowi' },
      });
      expect(pending.map(({ event }) => event.template.id)).toEqual([added.id]);
      expect(
        instance.logs.withMessage(
          'template event publish timed out, left to the outbox relay',
        ),
      ).toEqual([
        expect.objectContaining({
          level: 'warn',
          templateId: added.id,
          deadlineMillis: PUBLISH_DEADLINE_MILLIS,
        }),
      ]);

      // 2. Nobody has it yet, and the store still holds it as unpublished.
      await zolo.barrier();
      expect(zolo.received).toEqual([]);
      const eventId = pending[0]!.event.id;
      expect(await unpublishedIds()).toEqual([eventId]);

      // 3. The relay publishes it, and zolo receives it exactly once.
      expect(await relayAtAnHourFromNow().runOnce()).toBe(1);
      await zolo.waitForCount(1);
      expect(zolo.received.map((template) => template.id)).toEqual([added.id]);
      expect(await unpublishedIds()).toEqual([]);
      expect(await relayAtAnHourFromNow().runOnce()).toBe(0);
      await zolo.barrier();
      expect(zolo.received).toHaveLength(1);
    } finally {
      await zolo.dispose();
    }
  });

  it('records a publish that finishes after the answer, so the relay does not repeat it', async () => {
    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'late publish',
      shareLocationIds: ['location-3'],
    });
    const [late] = pending;
    expect(late?.event.template.id).toBe(added.id);
    expect(await unpublishedIds()).toEqual([late!.event.id]);

    late!.resolve();
    await waitUntil(
      async () => (await unpublishedIds()).length === 0,
      'the late publish is recorded as published',
    );
    expect(await relayAtAnHourFromNow().runOnce()).toBe(0);
  });

  it('leaves an event refused after the answer to the relay, without an error log', async () => {
    instance.logs.lines.length = 0;
    await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'refused late',
      shareLocationIds: ['location-3'],
    });
    const [late] = pending;
    late!.reject(new Error('topic unreachable'));
    // A barrier for the rejection's handlers: the next request is served
    // after them.
    await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'next',
      shareLocationIds: ['location-3'],
    });
    expect(await unpublishedIds()).toContain(late!.event.id);
    expect(
      instance.logs.lines.filter((line) =>
        ['error', 'fatal'].includes(line.level),
      ),
    ).toEqual([]);
    expect(await relayAtAnHourFromNow().runOnce()).toBeGreaterThanOrEqual(1);
    expect(await unpublishedIds()).toEqual([]);
  });
});
