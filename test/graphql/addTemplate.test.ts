import { execute, parse } from 'graphql';

import { FanoutRegistry } from '../../src/fanout/FanoutRegistry.js';
import { createSchema } from '../../src/graphql/createSchema.js';
import { createGraphQLContext } from '../../src/graphql/GraphQLContext.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { captureLogs } from '../support/captureLogs.js';

const ADD = parse(/* GraphQL */ `
  mutation {
    addTemplate(
      input: { name: "  Shift plan  ", shareLocationIds: ["location-3"] }
    ) {
      id
      name
      shareLocationIds
      createdAt
      createdBy {
        id
        name
      }
    }
  }
`);

async function addAsZowi(
  publishEvent: (event: TemplateEvent) => Promise<void>,
) {
  const logs = captureLogs('debug');
  const store = new MemoryStore({
    clock: () => new Date('2026-01-02T03:04:05.678Z'),
  });
  const viewer = (await store.getUser('zowi'))!;
  const result = await execute({
    schema: createSchema(),
    document: ADD,
    contextValue: createGraphQLContext({
      viewer,
      store,
      fanout: new FanoutRegistry({ logger: logs.logger, queueCapacity: 4 }),
      publishEvent,
      logger: logs.logger,
    }),
  });
  return { result, store, logs };
}

describe('addTemplate', () => {
  it('stores, publishes and marks the event published', async () => {
    const published: TemplateEvent[] = [];
    const { result, store } = await addAsZowi((event) => {
      published.push(event);
      return Promise.resolve();
    });

    expect(result.errors).toBeUndefined();
    const added = (result.data as { addTemplate: { id: string } }).addTemplate;
    expect(result.data).toEqual({
      addTemplate: {
        id: added.id,
        name: 'Shift plan',
        shareLocationIds: ['location-3'],
        createdAt: '2026-01-02T03:04:05.678Z',
        createdBy: { id: 'zowi', name: 'ZOWI' },
      },
    });
    expect(published.map((event) => event.template.id)).toEqual([added.id]);
    expect(published[0]!.shareOrganizationIds).toEqual(['org-1']);
    expect(
      await store.listUnpublishedEvents(new Date('2100-01-01'), 10),
    ).toEqual([]);
  });

  it('keeps the template and leaves the event to the outbox when publishing fails', async () => {
    const { result, store, logs } = await addAsZowi(() =>
      Promise.reject(new Error('pubsub unavailable')),
    );

    expect(result.errors).toBeUndefined();
    const added = (result.data as { addTemplate: { id: string } }).addTemplate;
    const viewer = (await store.getUser('zolo'))!;
    expect(await store.getVisibleTemplate(viewer, added.id)).toMatchObject({
      id: added.id,
    });
    const unpublished = await store.listUnpublishedEvents(
      new Date('2100-01-01'),
      10,
    );
    expect(unpublished.map(({ event }) => event.template.id)).toEqual([
      added.id,
    ]);
    expect(
      logs.withMessage(
        'template event publish failed, left to the outbox relay',
      ),
    ).toEqual([
      expect.objectContaining({
        level: 'warn',
        templateId: added.id,
        err: expect.objectContaining({
          message: 'pubsub unavailable',
        }) as unknown,
      }),
    ]);
  });
});
