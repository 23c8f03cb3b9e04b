import { setTimeout as sleep } from 'node:timers/promises';

import type { PubSub } from '@google-cloud/pubsub';
import type pg from 'pg';

import type {
  EventLogReader,
  SequencedEvent,
} from '../../src/bus/EventLogReader.js';
import { encodeTemplateEvent } from '../../src/domain/templateEventCodec.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import { captureLogs } from '../support/captureLogs.js';
import {
  emulatorAdmin,
  sharedEmulatorHost,
} from '../support/pubsubEmulator.js';
import { startTcpProxy, type TcpProxy } from '../support/TcpProxy.js';
import {
  createTestDatabase,
  openTestPool,
  type TestDatabase,
} from '../support/testDatabase.js';
import {
  FAST_TUNING,
  QUIET_PERIOD_MILLIS,
  makePod,
  pubsubConfig,
  startPod,
  uniqueTopic,
  waitFor,
  type Pod,
} from './pubsubBusTestKit.js';

/**
 * The emulator can go on leasing a new message to a stream whose connection
 * died until its ack deadline passes (see PubSubBus.test.ts); waits for an
 * event published after a reattach allow for that.
 */
const AFTER_REATTACH_MILLIS = 50_000;

/** The store's event log, made to fail on demand. */
class FailingEventLog implements EventLogReader {
  failing = false;

  constructor(private readonly log: EventLogReader) {}

  getEvent(eventId: string): Promise<SequencedEvent | null> {
    return this.log.getEvent(eventId);
  }

  listEventsAfter(
    sequence: number,
    limit: number,
  ): Promise<readonly SequencedEvent[]> {
    return this.log.listEventsAfter(sequence, limit);
  }

  latestEventSequence(): Promise<number> {
    return this.log.latestEventSequence();
  }

  firstEventSequenceSince(since: Date): Promise<number | null> {
    if (this.failing) {
      return Promise.reject(new Error('event log unreachable (test)'));
    }
    return this.log.firstEventSequenceSince(since);
  }
}

/** The store's event log, whose page reads wait for release() when held. */
class HeldEventLog extends FailingEventLog {
  held = false;
  /** A page read is waiting for release(). */
  waiting = false;
  private releaseRead: () => void = () => undefined;

  release(): void {
    this.held = false;
    this.releaseRead();
  }

  override async listEventsAfter(
    sequence: number,
    limit: number,
  ): Promise<readonly SequencedEvent[]> {
    if (this.held) {
      this.waiting = true;
      await new Promise<void>((resolve) => (this.releaseRead = resolve));
    }
    return super.listEventsAfter(sequence, limit);
  }
}

describe('PubSubBus catching up from the event log after reattaching', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  let tables: pg.Pool;
  let raw: PubSub;
  let proxy: TcpProxy;
  const pods: Pod[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('tf_pubsub_catchup');
    store = await PostgresStore.connect({
      url: database.url,
      poolSize: 4,
      logger: captureLogs('warn').logger,
    });
    tables = openTestPool(database.url, 1);
    raw = emulatorAdmin(sharedEmulatorHost());
  });

  beforeEach(async () => {
    await tables.query(
      'TRUNCATE templates, template_share_locations, template_events RESTART IDENTITY',
    );
    proxy = await startTcpProxy(sharedEmulatorHost());
  });

  afterEach(async () => {
    await Promise.all(pods.splice(0).map((pod) => pod.bus.close()));
    await proxy.close();
  });

  afterAll(async () => {
    await raw.close();
    await store.close();
    await tables.end();
    await database.drop();
  });

  /**
   * A started instance on `topic` that reaches the emulator through the
   * proxy and catches up from `events` (the store's log by default).
   */
  async function pod(
    topic: string,
    events: EventLogReader = store,
  ): Promise<Pod> {
    const config = pubsubConfig({
      topic,
      instanceId: 'pod-a',
      emulatorHost: proxy.host,
    });
    const started = makePod(config, FAST_TUNING, events);
    pods.push(started);
    return startPod(started);
  }

  /** Writes a template as addTemplate does; resolves with its event. */
  function write(name: string): Promise<TemplateEvent> {
    return store.addTemplate('zowi', {
      name,
      shareLocationIds: ['location-3'],
    });
  }

  /** Publishes `event` as its writer would, from the test's own client. */
  async function publish(topic: string, event: TemplateEvent): Promise<void> {
    await raw.topic(topic).publishMessage({
      data: Buffer.from(encodeTemplateEvent(event)),
      attributes: { eventId: event.id },
    });
  }

  /** Writes, publishes and waits until `a` has received `count` events. */
  async function deliver(
    a: Pod,
    topic: string,
    name: string,
    count: number,
    timeoutMillis?: number,
  ): Promise<TemplateEvent> {
    const event = await write(name);
    await publish(topic, event);
    await waitFor(
      () => a.received.length === count,
      `"${name}" arrives`,
      timeoutMillis,
    );
    return event;
  }

  /**
   * Takes `a` off Pub/Sub and waits until it has detached. Not merely
   * suspect: a probe that got through again would make it attached with no
   * reattach, and so no catch-up.
   */
  async function cutOff(a: Pod): Promise<void> {
    proxy.cut();
    await waitFor(
      () => a.logged('pubsub reconnecting').length > 0,
      'the instance detaches',
    );
  }

  it('hands over once each event published while its subscription was lost, then what comes after', async () => {
    const topic = uniqueTopic('catchup-lost');
    const a = await pod(topic);
    const before = await deliver(a, topic, 'before', 1);

    // Off Pub/Sub, its subscription deleted behind its back, while two
    // events are written and published: Pub/Sub keeps them for nobody.
    await cutOff(a);
    await raw.subscription(a.bus.subscriptionName).delete();
    const gap = [await write('gap 1'), await write('gap 2')];
    for (const event of gap) await publish(topic, event);

    proxy.restore();
    await waitFor(() => a.bus.isAttached(), 'the instance reattaches');
    expect(a.receivedIds()).toEqual([before.id, gap[0]?.id, gap[1]?.id]);
    const after = await deliver(a, topic, 'after', 4, AFTER_REATTACH_MILLIS);
    await sleep(QUIET_PERIOD_MILLIS);

    expect(a.receivedIds()).toEqual([
      before.id,
      gap[0]?.id,
      gap[1]?.id,
      after.id,
    ]);
    expect(a.metrics.count('eventReceived', 'pubsub')).toBe(4);
    // Recreated on reattaching, so the gap events came from the log; the
    // event received before the detachment was read again and dropped.
    expect(a.logged('pubsub subscription created')).toHaveLength(2);
    expect(a.logged('pubsub caught up')).toEqual([
      expect.objectContaining({
        level: 'info',
        subscriptionName: a.bus.subscriptionName,
        fromSequence: 1,
        read: 3,
        handedOver: 2,
        duplicates: 1,
        failed: 0,
      }),
    ]);
    expect(a.logged('pubsub reattached')).toHaveLength(1);
  }, 120_000);

  it('hands over once an event both its surviving subscription and the catch-up carry, and again none it had before', async () => {
    const topic = uniqueTopic('catchup-kept');
    const a = await pod(topic);
    const before = await deliver(a, topic, 'before', 1);

    // The subscription survives and keeps the gap event for us; the log
    // has it too.
    await cutOff(a);
    const gap = await write('gap');
    await publish(topic, gap);

    proxy.restore();
    await waitFor(() => a.bus.isAttached(), 'the instance reattaches');
    await waitFor(() => a.received.length === 2, 'the gap event arrives');
    await sleep(QUIET_PERIOD_MILLIS);

    expect(a.receivedIds()).toEqual([before.id, gap.id]);
    expect(a.metrics.count('eventReceived', 'pubsub')).toBe(2);
    expect(a.logged('pubsub subscription created')).toHaveLength(1);
    const caughtUp = a.logged('pubsub caught up');
    expect(caughtUp).toEqual([
      expect.objectContaining({ fromSequence: 1, read: 2, failed: 0 }),
    ]);
    // "before" is a duplicate to the catch-up; "gap" is one to whichever of
    // the stream and the catch-up offered it second.
    const { handedOver, duplicates } = caughtUp[0] as unknown as {
      handedOver: number;
      duplicates: number;
    };
    expect(handedOver + duplicates).toBe(2);
    expect(duplicates).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('replays nothing written before it started, even when it reattaches moments later', async () => {
    const topic = uniqueTopic('catchup-start');
    const old = await write('before start');
    await waitFor(
      () => Date.now() > old.template.createdAt.getTime(),
      'the clock moves past the write',
    );
    const a = await pod(topic);

    // Deleted behind its back: the stream ends with NOT_FOUND at once.
    await raw.subscription(a.bus.subscriptionName).delete();
    await waitFor(
      () => a.logged('pubsub reattached').length === 1,
      'the instance reattaches',
    );
    const fresh = await deliver(a, topic, 'fresh', 1, AFTER_REATTACH_MILLIS);
    await sleep(QUIET_PERIOD_MILLIS);

    expect(a.receivedIds()).toEqual([fresh.id]);
    expect(a.logged('pubsub reconnecting')[0]).toMatchObject({
      err: { code: 5 },
    });
    expect(a.logged('pubsub caught up')).toEqual([
      expect.objectContaining({
        fromSequence: null,
        read: 0,
        handedOver: 0,
        duplicates: 0,
      }),
    ]);
  }, 120_000);

  it('stays detached while the catch-up cannot read the log, and catches up once it can', async () => {
    const topic = uniqueTopic('catchup-retry');
    const log = new FailingEventLog(store);
    const a = await pod(topic, log);
    const before = await deliver(a, topic, 'before', 1);

    await cutOff(a);
    await raw.subscription(a.bus.subscriptionName).delete();
    const gap = await write('gap');
    await publish(topic, gap);
    log.failing = true;
    proxy.restore();
    await waitFor(
      () => a.logged('pubsub catch-up failed').length > 0,
      'a catch-up fails',
    );

    expect(a.bus.isAttached()).toBe(false);
    expect(a.receivedIds()).toEqual([before.id]);
    expect(a.logged('pubsub catch-up failed')[0]).toMatchObject({
      level: 'warn',
      subscriptionName: a.bus.subscriptionName,
      err: { message: 'event log unreachable (test)' },
    });

    log.failing = false;
    await waitFor(() => a.bus.isAttached(), 'the instance reattaches');
    await sleep(QUIET_PERIOD_MILLIS);
    expect(a.receivedIds()).toEqual([before.id, gap.id]);
    expect(a.logged('pubsub caught up')).toEqual([
      expect.objectContaining({ read: 2, handedOver: 1, duplicates: 1 }),
    ]);
    expect(a.logged('pubsub reattached')).toHaveLength(1);
  }, 120_000);

  it('warns at construction of a margin shorter than it may take to notice a loss', () => {
    const config = pubsubConfig({
      topic: uniqueTopic('catchup-margin'),
      instanceId: 'pod-a',
    });
    const short = makePod(
      config,
      { ...FAST_TUNING, catchUpMarginMillis: 2_999 },
      store,
    );
    const enough = makePod(config, FAST_TUNING, store);
    pods.push(short, enough);

    const warning =
      'pubsub catch-up margin is shorter than a probe interval and its ' +
      'timeout; events lost just before a detachment may not be caught up';
    expect(short.logged(warning)).toEqual([
      expect.objectContaining({
        level: 'warn',
        catchUpMarginMillis: 2_999,
        probeIntervalMillis: 1_000,
        adminTimeoutMillis: 2_000,
      }),
    ]);
    expect(enough.logged(warning)).toEqual([]);
  });

  it('stops a catch-up under way when closed, handing nothing over after', async () => {
    const topic = uniqueTopic('catchup-close');
    const log = new HeldEventLog(store);
    const a = await pod(topic, log);
    const before = await deliver(a, topic, 'before', 1);

    await cutOff(a);
    await raw.subscription(a.bus.subscriptionName).delete();
    await write('gap');
    log.held = true;
    proxy.restore();
    await waitFor(() => log.waiting, 'the catch-up reads the log');

    const closed = a.bus.close();
    log.release();
    await closed;
    await sleep(QUIET_PERIOD_MILLIS);

    expect(a.bus.isAttached()).toBe(false);
    expect(a.receivedIds()).toEqual([before.id]);
    expect(a.logged('pubsub caught up')).toEqual([]);
    expect(a.logged('pubsub catch-up failed')).toEqual([]);
    expect(a.logged('pubsub close step did not finish')).toEqual([]);
    const [exists] = await raw.subscription(a.bus.subscriptionName).exists();
    expect(exists).toBe(false);
  }, 120_000);
});
