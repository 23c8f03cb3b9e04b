import {
  GraphQLID,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  subscribe,
} from 'graphql';

import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { FanoutRegistry } from '../../src/fanout/FanoutRegistry.js';
import { seedEvent, seedUser } from '../support/seedEvents.js';
import { captureLogs } from '../support/captureLogs.js';

/**
 * graphql-js wraps a resolver's iterator before graphql-ws sees it; these
 * tests check the registry's iterator keeps its promises through that
 * wrapper: return() reaches the registry, and an overflow reaches the client.
 */
function schemaFor(registry: FanoutRegistry, userId: string): GraphQLSchema {
  const user = seedUser(userId);
  const template = new GraphQLObjectType({
    name: 'Template',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLID) },
      name: { type: new GraphQLNonNull(GraphQLString) },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { ok: { type: GraphQLString } },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        templateAdded: {
          type: new GraphQLNonNull(template),
          subscribe: () =>
            registry.subscribe({
              userId: user.id,
              organizationId: user.organizationId,
              locationId: user.locationId,
            }),
          resolve: (event: TemplateEvent) => event.template,
        },
      },
    }),
  });
}

async function subscribeAs(registry: FanoutRegistry, userId: string) {
  const result = await subscribe({
    schema: schemaFor(registry, userId),
    document: parse('subscription { templateAdded { id name } }'),
  });
  if (!(Symbol.asyncIterator in result)) {
    throw new Error(`subscribe failed: ${JSON.stringify(result)}`);
  }
  return result;
}

describe('FanoutRegistry under graphql-js subscribe', () => {
  it('delivers through the wrapper and leaves the registry when the wrapper is returned', async () => {
    const { logger } = captureLogs();
    const registry = new FanoutRegistry({ logger, queueCapacity: 4 });
    const zuri = await subscribeAs(registry, 'zuri');
    expect(registry.subscriberCount).toBe(1);

    const next = zuri.next();
    const event = seedEvent('zapa', ['location-5'], { id: 'e-1' });
    registry.dispatch(event);
    expect(await next).toEqual({
      done: false,
      value: {
        data: {
          templateAdded: { id: event.template.id, name: event.template.name },
        },
      },
    });

    const waiting = zuri.next();
    await zuri.return();
    expect(registry.stats()).toMatchObject({
      subscribers: 0,
      indexKeys: { locations: 0, organizations: 0, users: 0 },
      pendingNexts: 0,
    });
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
  });

  it('surfaces an overflow as the SUBSCRIBER_OVERFLOW error from next()', async () => {
    const { logger } = captureLogs();
    const registry = new FanoutRegistry({ logger, queueCapacity: 1 });
    const zuri = await subscribeAs(registry, 'zuri');
    registry.dispatch(seedEvent('zapa', ['location-5']));
    registry.dispatch(seedEvent('zapa', ['location-5']));

    const failure = await zuri.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DomainError);
    expect((failure as DomainError).code).toBe(ErrorCode.SUBSCRIBER_OVERFLOW);
    expect(registry.subscriberCount).toBe(0);
  });
});
