import { randomUUID } from 'node:crypto';

import type { PubSub } from '@google-cloud/pubsub';

import {
  decodeTemplateEvent,
  encodeTemplateEvent,
} from '../../src/domain/templateEventCodec.js';
import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  emulatorAdmin,
  sharedEmulatorHost,
} from '../support/pubsubEmulator.js';
import type { RunningInstance } from '../support/startInstance.js';
import {
  startInstancesOnFreshDatabase,
  type InstancesOnDatabase,
} from '../support/startInstances.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import {
  logged,
  storedEvent,
  storedEventIds,
  subscriptionsOf,
  uniqueSuffix,
} from './clusterKit.js';
import { runCrossInstanceScenario } from './crossInstanceScenario.js';

// Four real instance processes on one topic of the shared emulator, each
// with its own subscription. The tests share them: each connects its own
// clients and looks only at what they receive. What they show and
// test/e2e/seedScenario.childProcess.test.ts (one instance, all its
// clients on it) does not: events crossing instances, invalid and
// duplicate messages, and every subscription gone after exit.
//
// A withFilter resolver over BusPubSubEngine delivering across two
// instances is tested in test/bus/BusPubSubEngine.test.ts (two PubSubBus
// instances on the emulator); main.ts serves templateAdded through the
// fan-out registry, not through that engine.
describe('four instances with BUS=pubsub on the Pub/Sub emulator', () => {
  const topicName = `tf-cluster-${uniqueSuffix()}`;
  let cluster: InstancesOnDatabase;
  let admin: PubSub;
  let instances: readonly RunningInstance[];
  let tokens: Record<string, string>;
  const feeds: FeedClient[] = [];

  beforeAll(async () => {
    const emulatorHost = sharedEmulatorHost();
    admin = emulatorAdmin(emulatorHost);
    tokens = await seedUserTokens();
    cluster = await startInstancesOnFreshDatabase('tf_cluster', 4, () => ({
      BUS: 'pubsub',
      PUBSUB_EMULATOR_HOST: emulatorHost,
      PUBSUB_TOPIC: topicName,
      // Duplicates are logged at debug.
      LOG_LEVEL: 'debug',
    }));
    ({ instances } = cluster);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.dispose()));
  });

  afterAll(async () => {
    await cluster?.stop();
    await admin.close();
  });

  /**
   * Waits until every instance has dispatched every event stored so far.
   * An earlier test waits only for the clients it looks at, so an instance
   * none of them is on may be handed its last event later, and would pass
   * it to an entitled client the next test connects there.
   */
  async function earlierEventsDispatchedEverywhere(): Promise<void> {
    const eventIds = await storedEventIds(cluster.database.url);
    for (const instance of instances) {
      const pending = () => {
        const dispatched = new Set(
          logged(instance, 'event dispatched').map((line) => line.eventId),
        );
        return eventIds.filter((id) => !dispatched.has(id));
      };
      await waitUntil(
        () => pending().length === 0,
        `${instance.label} dispatches every stored event`,
        20_000,
        pending,
      );
    }
  }

  /**
   * One client per instance, each entitled to what zowi shares with
   * location-3: zewi on instances 1 and 3, zolo on 2, zelo on 4. Connected
   * once what earlier tests published has been dispatched everywhere.
   */
  async function oneEntitledClientPerInstance(): Promise<FeedClient[]> {
    await earlierEventsDispatchedEverywhere();
    const placement = [
      ['zewi', 0],
      ['zolo', 1],
      ['zewi', 2],
      ['zelo', 3],
    ] as const;
    const connected = await Promise.all(
      placement.map(([userId, index]) =>
        connectFeed(instances[index]!.wsUrl, tokens[userId], {
          label: `${userId}@instance-${index + 1}`,
        }),
      ),
    );
    feeds.push(...connected);
    await Promise.all(connected.map((feed) => feed.barrier()));
    return connected;
  }

  function publishRaw(data: Buffer, attributes: Record<string, string> = {}) {
    return admin.topic(topicName).publishMessage({ data, attributes });
  }

  it('delivers each template to exactly the users the share rule names, on whichever instance they are connected to', async () => {
    await runCrossInstanceScenario(instances);
  });

  it('drops and logs a message that is not JSON and one of the wrong shape, then delivers the next real event', async () => {
    const clients = await oneEntitledClientPerInstance();

    const notJson = await publishRaw(Buffer.from('this is not JSON {'));
    const wrongShape = await publishRaw(
      Buffer.from(JSON.stringify({ v: 1, id: 'x', template: { name: 42 } })),
    );
    for (const instance of instances) {
      const dropped = (messageId: string) =>
        instance.waitForLog(
          (line) =>
            line.message === 'pubsub invalid message dropped' &&
            line.messageId === messageId,
        );
      expect(await dropped(notJson)).toMatchObject({
        level: 'warn',
        err: { message: 'event is not JSON' },
      });
      expect(await dropped(wrongShape)).toMatchObject({
        level: 'warn',
        err: {
          message: expect.stringMatching(
            /^event has the wrong shape/,
          ) as unknown,
        },
      });
    }

    const real = await addTemplate(instances[0]!.graphqlUrl, tokens.zowi!, {
      name: 'After the garbage',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(clients.map((feed) => feed.waitForCount(1)));
    for (const feed of clients) {
      expect(feed.received.map((template) => template.id)).toEqual([real.id]);
      expect(feed.errors).toEqual([]);
    }
  });

  it('hands an event the bus delivers twice to each client once', async () => {
    const clients = await oneEntitledClientPerInstance();
    const eventIdsDropped = (instance: RunningInstance) =>
      logged(instance, 'pubsub duplicate dropped').map((line) => line.eventId);

    // A real event, as the store wrote it and an instance published it.
    const stored = await addTemplate(instances[0]!.graphqlUrl, tokens.zowi!, {
      name: 'Stored and published',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(clients.map((feed) => feed.waitForCount(1)));
    const event = decodeTemplateEvent(
      (await storedEvent(cluster.database.url, stored.id)).payload,
    );

    // The same event twice more, straight to the topic: a redelivery.
    for (let copy = 0; copy < 2; copy += 1) {
      await publishRaw(Buffer.from(encodeTemplateEvent(event)), {
        eventId: event.id,
        schemaVersion: '1',
      });
    }
    // A new event published twice, as an outbox relay retrying a publish
    // that did reach Pub/Sub would.
    const twice = {
      ...event,
      id: randomUUID(),
      template: {
        ...event.template,
        id: randomUUID(),
        name: 'Published twice',
      },
    };
    for (let copy = 0; copy < 2; copy += 1) {
      await publishRaw(Buffer.from(encodeTemplateEvent(twice)), {
        eventId: twice.id,
        schemaVersion: '1',
      });
    }

    // Every instance dropped the three copies by event id ...
    const expectedDrops = [event.id, event.id, twice.id].sort();
    for (const instance of instances) {
      await waitUntil(
        () => eventIdsDropped(instance).length >= expectedDrops.length,
        `${instance.label} drops the three copies`,
        20_000,
        () => eventIdsDropped(instance),
      );
    }
    // ... so each client has each event once; a later event shows nothing
    // more was on its way.
    await Promise.all(clients.map((feed) => feed.waitForCount(2)));
    const after = await addTemplate(instances[1]!.graphqlUrl, tokens.zowi!, {
      name: 'After the duplicates',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(clients.map((feed) => feed.waitForCount(3)));
    for (const feed of clients) {
      expect(feed.received.map((template) => template.id)).toEqual([
        stored.id,
        twice.template.id,
        after.id,
      ]);
    }
    for (const instance of instances) {
      expect(eventIdsDropped(instance).sort()).toEqual(expectedDrops);
    }
  });

  it('stops each instance with exit 0, leaving no subscription on the topic', async () => {
    expect(await subscriptionsOf(admin, topicName)).toEqual(
      expect.arrayContaining(
        instances.map((_, index) => `${topicName}-instance-${index + 1}`),
      ),
    );
    const exits = await Promise.all(
      instances.map((instance) => instance.stop()),
    );
    expect(exits).toEqual(instances.map(() => ({ code: 0, signal: null })));
    expect(await subscriptionsOf(admin, topicName)).toEqual([]);
  });
});
