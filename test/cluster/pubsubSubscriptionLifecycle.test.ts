import { setTimeout as sleep } from 'node:timers/promises';

import type { PubSub } from '@google-cloud/pubsub';
import pg from 'pg';

import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  EMULATOR_PROJECT_ID,
  emulatorAdmin,
  sharedEmulatorHost,
} from '../support/pubsubEmulator.js';
import {
  startInstance,
  stopAllInstances,
  type RunningInstance,
} from '../support/startInstance.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import {
  QUIET_MILLIS,
  logged,
  storedEvent,
  subscriptionsOf,
  uniqueSuffix,
} from './clusterKit.js';

/**
 * After a SIGKILL the emulator goes on leasing messages to the dead
 * process's streams until their ack deadline (20 s) passes, even in a
 * subscription recreated under the same name (docs/pubsub.md, "The emulator
 * is not Pub/Sub"), so the restarted instance may see its first event that
 * late. This bounds the wait; it is not what the test asserts.
 */
const EMULATOR_ZOMBIE_LEASE_MILLIS = 60_000;

const TTL_SECONDS = 7_200;

describe("an instance's own Pub/Sub subscription", () => {
  const topicName = `tf-lifecycle-${uniqueSuffix()}`;
  const subscriptionName = `${topicName}-lifecycle`;
  let database: TestDatabase;
  let admin: PubSub;
  let tokens: Record<string, string>;
  const feeds: FeedClient[] = [];

  function start(instanceId: string): Promise<RunningInstance> {
    return startInstance({
      env: {
        DATABASE_URL: database.url,
        BUS: 'pubsub',
        PUBSUB_EMULATOR_HOST: sharedEmulatorHost(),
        PUBSUB_TOPIC: topicName,
        PUBSUB_SUBSCRIPTION_TTL_SECONDS: String(TTL_SECONDS),
        INSTANCE_ID: instanceId,
        // Every event the bus hands over is logged at debug.
        LOG_LEVEL: 'debug',
      },
    });
  }

  /** Ids of the events `instance`'s bus handed to its fan-out. */
  function deliveredEventIds(instance: RunningInstance): unknown[] {
    return logged(instance, 'pubsub event delivered').map(
      (line) => line.eventId,
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase('tf_cluster');
    admin = emulatorAdmin(sharedEmulatorHost());
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await Promise.all(feeds.map((feed) => feed.dispose()));
    await stopAllInstances();
    await admin.close();
    await database.drop();
  });

  it('exists on the topic with the configured TTL while the instance runs, and is gone once SIGTERM stopped it', async () => {
    const instance = await start('lifecycle');

    const [metadata] = await admin.subscription(subscriptionName).getMetadata();
    expect(metadata.topic).toBe(
      `projects/${EMULATOR_PROJECT_ID}/topics/${topicName}`,
    );
    expect(Number(metadata.expirationPolicy?.ttl?.seconds)).toBe(TTL_SECONDS);
    expect(await subscriptionsOf(admin, topicName)).toEqual([subscriptionName]);

    expect(await instance.stop()).toEqual({ code: 0, signal: null });
    expect(await subscriptionsOf(admin, topicName)).toEqual([]);
    expect(await admin.subscription(subscriptionName).exists()).toEqual([
      false,
    ]);
  });

  it('is still deleted on SIGTERM while the database is stalled under a stuck outbox round', async () => {
    const instance = await start('stalled');
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      // Everything that reads the event log now waits, the outbox relay's
      // next round (every 5 s) included.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE template_events IN ACCESS EXCLUSIVE MODE');
      await waitUntil(
        async () => {
          const { rows } = await locker.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND application_name = 'template-feed'`,
          );
          return (rows[0]?.waiting ?? 0) > 0;
        },
        'an outbox round waits on the lock',
        20_000,
      );

      instance.sendSignal('SIGTERM');
      const exit = await instance.exited;

      expect(logged(instance, 'pubsub subscription deleted')).toEqual([
        expect.objectContaining({
          subscriptionName: `${topicName}-stalled`,
        }),
      ]);
      expect(await subscriptionsOf(admin, topicName)).not.toContain(
        `${topicName}-stalled`,
      );
      // Abandoning the stuck round (and the pool it holds) is a shutdown
      // that did not finish cleanly, and says so.
      expect(
        logged(
          instance,
          'closing took too long; abandoned, the next one closes',
        ),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ component: 'outbox relay' }),
        ]),
      );
      expect(exit).toEqual({ code: 2, signal: null });
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  }, 120_000);

  it('survives a SIGKILL, and a restart under the same INSTANCE_ID replays nothing published while it was down', async () => {
    const publisher = await start('publisher');
    const crashed = await start('lifecycle');
    expect(await crashed.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await subscriptionsOf(admin, topicName)).sort()).toEqual(
      [`${topicName}-publisher`, subscriptionName].sort(),
    );

    // Published while it is down. The publisher's own subscription
    // receiving them shows they were on the topic, so the crashed
    // instance's subscription kept them.
    const whileDown: string[] = [];
    for (const name of ['While down 1', 'While down 2', 'While down 3']) {
      const template = await addTemplate(publisher.graphqlUrl, tokens.zowi!, {
        name,
        shareLocationIds: ['location-3'],
      });
      whileDown.push((await storedEvent(database.url, template.id)).id);
    }
    await waitUntil(
      () => whileDown.every((id) => deliveredEventIds(publisher).includes(id)),
      'the publisher receives what it published',
    );

    const restarted = await start('lifecycle');
    expect(
      logged(restarted, 'pubsub subscription left by an earlier run deleted'),
    ).toHaveLength(1);
    const zolo = await connectFeed(restarted.wsUrl, tokens.zolo, {
      label: 'zolo@restarted',
    });
    feeds.push(zolo);
    await zolo.barrier();

    const fresh = await addTemplate(publisher.graphqlUrl, tokens.zowi!, {
      name: 'After the restart',
      shareLocationIds: ['location-3'],
    });
    const freshEventId = (await storedEvent(database.url, fresh.id)).id;
    await zolo.waitForCount(1, EMULATOR_ZOMBIE_LEASE_MILLIS);
    await sleep(QUIET_MILLIS);

    expect(zolo.received.map((template) => template.id)).toEqual([fresh.id]);
    // Not merely unseen by zolo: the bus handed nothing stale to anyone.
    expect(deliveredEventIds(restarted)).toEqual([freshEventId]);
    expect(zolo.errors).toEqual([]);
  }, 120_000);
});
