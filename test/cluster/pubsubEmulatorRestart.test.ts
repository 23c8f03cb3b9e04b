import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { scrapeMetrics } from '../observability/scrapeMetrics.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  freePort,
  startPubsubEmulator,
  type RunningEmulator,
} from '../support/pubsubEmulator.js';
import {
  stopAllInstances,
  type RunningInstance,
} from '../support/startInstance.js';
import { startInstances } from '../support/startInstances.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import { logged, uniqueSuffix } from './clusterKit.js';

/**
 * The instances' own reconnect delays grow to 30 s and they probe every
 * 30 s; this bounds how long reattaching may take.
 */
const REATTACH_TIMEOUT_MILLIS = 90_000;

interface Readiness {
  readonly status: number;
  readonly body: { readonly checks?: { readonly bus?: string } };
}

async function readiness(instance: RunningInstance): Promise<Readiness> {
  const response = await fetch(`${instance.baseUrl}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as Readiness['body'],
  };
}

/** template_feed_bus_attached{bus="pubsub"} as the instance reports it. */
async function busAttachedGauge(instance: RunningInstance): Promise<number> {
  const metrics = await scrapeMetrics(instance.baseUrl);
  return metrics.value('template_feed_bus_attached', { bus: 'pubsub' });
}

// An emulator of this suite's own, on a port that stays the same across
// its restart; the shared one must keep running for other suites.
describe('instances when the Pub/Sub emulator restarts', () => {
  let database: TestDatabase;
  let emulator: RunningEmulator;
  let instances: RunningInstance[];
  const feeds: FeedClient[] = [];

  beforeAll(async () => {
    const topicName = `tf-restart-${uniqueSuffix()}`;
    const port = await freePort();
    [database, emulator] = await Promise.all([
      createTestDatabase('tf_cluster'),
      startPubsubEmulator(port),
    ]);
    instances = await startInstances(2, () => ({
      DATABASE_URL: database.url,
      BUS: 'pubsub',
      PUBSUB_EMULATOR_HOST: emulator.host,
      PUBSUB_TOPIC: topicName,
    }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(feeds.map((feed) => feed.dispose()));
    await stopAllInstances();
    await emulator.stop();
    await database.drop();
  });

  it('reports 503 while detached and 200 once reattached, and keeps its clients, who receive what is published after', async () => {
    const [one, two] = instances as [RunningInstance, RunningInstance];
    const tokens = await seedUserTokens();
    const zolo = await connectFeed(one.wsUrl, tokens.zolo, {
      label: 'zolo@instance-1',
    });
    const zelo = await connectFeed(two.wsUrl, tokens.zelo, {
      label: 'zelo@instance-2',
    });
    feeds.push(zolo, zelo);
    await Promise.all(feeds.map((feed) => feed.barrier()));

    const before = await addTemplate(one.graphqlUrl, tokens.zowi!, {
      name: 'Before the restart',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(feeds.map((feed) => feed.waitForCount(1)));

    // The emulator goes away, and with it every topic and subscription.
    const port = Number(emulator.host.split(':')[1]);
    await emulator.stop();
    for (const instance of instances) {
      await waitUntil(
        async () => (await readiness(instance)).status === 503,
        `${instance.label} reports 503 while Pub/Sub is down`,
        REATTACH_TIMEOUT_MILLIS,
      );
      expect((await readiness(instance)).body.checks?.bus).toBe('detached');
      expect(await busAttachedGauge(instance)).toBe(0);
    }

    emulator = await startPubsubEmulator(port);
    for (const instance of instances) {
      await waitUntil(
        async () => (await readiness(instance)).status === 200,
        `${instance.label} reports 200 once reattached`,
        REATTACH_TIMEOUT_MILLIS,
      );
      expect(logged(instance, 'pubsub reattached')).toHaveLength(1);
      expect(await busAttachedGauge(instance)).toBe(1);
    }

    // The WebSockets are to the instances, not to Pub/Sub: still open, and
    // their subscriptions still registered.
    await Promise.all(feeds.map((feed) => feed.barrier()));
    const after = await addTemplate(two.graphqlUrl, tokens.zowi!, {
      name: 'After the restart',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(feeds.map((feed) => feed.waitForCount(2)));
    for (const feed of feeds) {
      expect(feed.received.map((template) => template.id)).toEqual([
        before.id,
        after.id,
      ]);
      expect(feed.closeCode).toBeUndefined();
      expect(feed.errors).toEqual([]);
    }
  }, 240_000);
});
