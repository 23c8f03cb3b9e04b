import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import { SEED_USERS } from '../../src/domain/seedData.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import type {
  DispatchResult,
  FanoutMetrics,
  SubscriberEndReason,
} from '../../src/fanout/FanoutMetrics.js';
import {
  FanoutRegistry,
  type FanoutSubscriber,
  type TemplateEventIterator,
} from '../../src/fanout/FanoutRegistry.js';
import { seedEvent, seedUser } from '../support/seedEvents.js';
import { captureLogs } from '../support/captureLogs.js';

/** Records every call, so tests can assert on what was counted. */
class RecordingMetrics implements FanoutMetrics {
  added = 0;
  readonly removed: SubscriberEndReason[] = [];
  readonly dispatched: DispatchResult[] = [];
  overflows = 0;
  readonly delaysSeconds: number[] = [];

  subscriberAdded(): void {
    this.added += 1;
  }
  subscriberRemoved(reason: SubscriberEndReason): void {
    this.removed.push(reason);
  }
  eventDispatched(result: DispatchResult): void {
    this.dispatched.push(result);
  }
  queueOverflowed(): void {
    this.overflows += 1;
  }
  deliveryDelayObserved(delaySeconds: number): void {
    this.delaysSeconds.push(delaySeconds);
  }
}

/** A consumer reading one subscription the way graphql-ws does. */
interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  readonly received: string[];
  readonly iterator: TemplateEventIterator;
  /** Settles when the consumer's loop ends; holds its error, if any. */
  readonly finished: Promise<unknown>;
}

function setUp(options: { queueCapacity?: number; now?: () => number } = {}) {
  const logs = captureLogs('debug');
  const metrics = new RecordingMetrics();
  const registry = new FanoutRegistry({
    logger: logs.logger,
    queueCapacity: options.queueCapacity ?? 16,
    metrics,
    ...(options.now === undefined ? {} : { now: options.now }),
  });

  const connect = (userId: string, connectionId = `${userId}#1`) => {
    const user = seedUser(userId);
    const iterator = registry.subscribe({
      userId: user.id,
      organizationId: user.organizationId,
      locationId: user.locationId,
      connectionId,
    });
    const received: string[] = [];
    const finished = (async () => {
      try {
        for await (const event of iterator) received.push(event.id);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    return { connectionId, userId, received, iterator, finished };
  };

  return { registry, metrics, logs, connect };
}

/** An event shared with one organisation, by an author not subscribed. */
function organizationEvent(id: string, organizationId: string): TemplateEvent {
  return {
    id,
    template: {
      id: `template-${id}`,
      name: 'Bulk',
      shareLocationIds: [`${organizationId}-hq`],
      createdById: 'someone-else',
      createdAt: new Date('2025-01-02T03:04:05.000Z'),
    },
    author: {
      id: 'someone-else',
      name: 'Someone Else',
      organizationId,
      locationId: null,
    },
    shareOrganizationIds: [organizationId],
  };
}

/** Lets every consumer loop take what was handed to it. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Who received what, as `connectionId: [event ids]`, for the non-empty. */
function receipts(
  connections: readonly Connection[],
): Record<string, string[]> {
  return Object.fromEntries(
    connections
      .filter((connection) => connection.received.length > 0)
      .map((connection) => [connection.connectionId, connection.received]),
  );
}

describe('FanoutRegistry', () => {
  it('delivers zowi’s template for location-3 to exactly zolo, zewi and zelo', async () => {
    const { registry, connect } = setUp();
    const connections = SEED_USERS.map((user) => connect(user.id));
    const event = seedEvent('zowi', ['location-3'], { id: 'e-1' });

    expect(registry.dispatch(event)).toEqual({
      candidates: 4,
      delivered: 3,
      filtered: 1,
      overflowed: 0,
      decisions: { author: 1, location: 1, organization: 2, none: 0 },
    });
    await settle();
    expect(receipts(connections)).toEqual({
      'zolo#1': ['e-1'],
      'zewi#1': ['e-1'],
      'zelo#1': ['e-1'],
    });
    registry.close();
  });

  it('delivers zapa’s template for location-5 to zuri only', async () => {
    const { registry, connect } = setUp();
    const connections = SEED_USERS.map((user) => connect(user.id));

    const result = registry.dispatch(
      seedEvent('zapa', ['location-5'], { id: 'e-2' }),
    );
    await settle();
    expect(receipts(connections)).toEqual({ 'zuri#1': ['e-2'] });
    expect(result).toMatchObject({ candidates: 2, delivered: 1, filtered: 1 });
    registry.close();
  });

  it('delivers once per connection when a subscriber matches by location and by organisation', async () => {
    const { registry, connect } = setUp();
    const zeloPhone = connect('zelo', 'zelo#phone');
    const zeloLaptop = connect('zelo', 'zelo#laptop');
    const zewi = connect('zewi');

    // location-2 is zelo's own location and belongs to zelo's org-1.
    const result = registry.dispatch(
      seedEvent('zowi', ['location-2', 'location-3'], { id: 'e-3' }),
    );
    await settle();
    expect(receipts([zeloPhone, zeloLaptop, zewi])).toEqual({
      'zelo#phone': ['e-3'],
      'zelo#laptop': ['e-3'],
      'zewi#1': ['e-3'],
    });
    expect(result).toMatchObject({
      candidates: 3,
      delivered: 3,
      decisions: { author: 0, location: 2, organization: 1, none: 0 },
    });
    registry.close();
  });

  it('sends the author nothing on any of their connections and logs each as the author clause', async () => {
    const { registry, connect, logs } = setUp();
    const zowiConnections = ['zowi#a', 'zowi#b', 'zowi#c'].map((id) =>
      connect('zowi', id),
    );
    const zolo = connect('zolo');

    const result = registry.dispatch(
      seedEvent('zowi', ['location-1', 'location-3'], { id: 'e-4' }),
    );
    await settle();
    expect(receipts([...zowiConnections, zolo])).toEqual({
      'zolo#1': ['e-4'],
    });
    expect(result).toMatchObject({ candidates: 4, delivered: 1, filtered: 3 });
    expect(
      logs.withMessage('share rule decision').map((line) => ({
        eventId: line.eventId,
        userId: line.userId,
        connectionId: line.connectionId,
        delivered: line.delivered,
        clause: line.clause,
      })),
    ).toEqual([
      ...['zowi#a', 'zowi#b', 'zowi#c'].map((connectionId) => ({
        eventId: 'e-4',
        userId: 'zowi',
        connectionId,
        delivered: false,
        clause: 'author',
      })),
      {
        eventId: 'e-4',
        userId: 'zolo',
        connectionId: 'zolo#1',
        delivered: true,
        clause: 'location',
      },
    ]);
    expect(
      logs.withMessage('share rule decision').every((l) => l.level === 'debug'),
    ).toBe(true);
    registry.close();
  });

  it('asks the share rule only about subscribers the event could reach', () => {
    const { registry, connect, logs } = setUp();
    SEED_USERS.forEach((user) => connect(user.id));
    registry.dispatch(seedEvent('zapa', ['location-5'], { id: 'e-5' }));
    expect(
      logs.withMessage('share rule decision').map((line) => line.userId),
    ).toEqual(['zapa', 'zuri']);
    registry.close();
  });

  it('counts an event nobody here may receive as having no local audience', () => {
    const { registry, connect, metrics } = setUp();
    connect('zapa');
    connect('zuri');
    const result = registry.dispatch(seedEvent('zowi', ['location-3']));
    expect(result).toEqual({
      candidates: 0,
      delivered: 0,
      filtered: 0,
      overflowed: 0,
      decisions: { author: 0, location: 0, organization: 0, none: 0 },
    });
    expect(metrics.dispatched).toEqual([result]);
    registry.close();
  });

  it('keeps delivering in order to a consumer that reads slowly', async () => {
    const { registry } = setUp();
    const zuri = seedUser('zuri');
    const iterator = registry.subscribe({
      userId: zuri.id,
      organizationId: zuri.organizationId,
      locationId: zuri.locationId,
    });
    for (const id of ['a', 'b', 'c']) {
      registry.dispatch(seedEvent('zapa', ['location-5'], { id }));
    }
    expect(registry.stats().queuedEvents).toBe(3);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const result = await iterator.next();
      if (result.done === true) throw new Error('ended early');
      ids.push(result.value.id);
    }
    expect(ids).toEqual(['a', 'b', 'c']);
    await iterator.return();
    expect(registry.subscriberCount).toBe(0);
  });

  it('reports subscribers per user and in total', async () => {
    const { registry, connect } = setUp();
    const first = connect('zelo', 'zelo#1');
    connect('zelo', 'zelo#2');
    connect('zuri');
    expect(registry.subscriberCount).toBe(3);
    expect(registry.subscriberCountOf('zelo')).toBe(2);
    expect(registry.subscriberCountOf('zowi')).toBe(0);
    await first.iterator.return();
    expect(registry.subscriberCountOf('zelo')).toBe(1);
    registry.close();
  });

  it('leaves no index entry and no pending next() after 1,000 abrupt unsubscribes', async () => {
    const { registry, metrics } = setUp({ queueCapacity: 4 });
    // Many users, organisations and locations; some with neither of the
    // last two.
    const subscribers: FanoutSubscriber[] = Array.from(
      { length: 1_000 },
      (_, i) => ({
        userId: `user-${i % 300}`,
        organizationId: i % 7 === 0 ? null : `org-${i % 40}`,
        locationId: i % 5 === 0 ? null : `loc-${i % 163}`,
        connectionId: `conn-${i}`,
      }),
    );
    const iterators: TemplateEventIterator[] = subscribers.map((subscriber) =>
      registry.subscribe(subscriber),
    );
    const distinct = (keys: (string | null)[]) =>
      new Set(keys.filter((key) => key !== null)).size;
    expect(registry.stats().indexKeys).toEqual({
      locations: distinct(subscribers.map((s) => s.locationId)),
      organizations: distinct(subscribers.map((s) => s.organizationId)),
      users: 300,
    });
    expect(registry.stats().indexKeys.locations).toBeGreaterThan(100);

    // A third wait in next(), a third have events queued, a third never
    // asked (return() before the first next(), as a client that drops
    // mid-subscribe).
    const pending = iterators
      .map((iterator, i) => ({ i, next: i % 3 === 0 ? iterator.next() : null }))
      .filter((entry) => entry.next !== null);
    for (let org = 0; org < 40; org += 1) {
      registry.dispatch(organizationEvent(`bulk-${org}`, `org-${org}`));
    }
    expect(registry.stats().pendingNexts).toBeGreaterThan(0);
    expect(registry.stats().queuedEvents).toBeGreaterThan(0);

    await Promise.all(iterators.map((iterator) => iterator.return()));

    expect(registry.stats()).toEqual({
      subscribers: 0,
      indexKeys: { locations: 0, organizations: 0, users: 0 },
      pendingNexts: 0,
      queuedEvents: 0,
    });
    expect(registry.subscriberCount).toBe(0);
    // Every next() that was waiting has settled: with the event of its
    // organisation, or done for those without one.
    for (const { i, next } of pending) {
      const result = await next;
      expect(result?.done === true).toBe(i % 7 === 0);
    }
    expect(metrics.added).toBe(1_000);
    expect(metrics.removed).toHaveLength(1_000);
    expect(new Set(metrics.removed)).toEqual(new Set(['unsubscribed']));
    registry.close();
  });

  it('ends a subscriber whose queue overflows with SUBSCRIBER_OVERFLOW and keeps serving the others', async () => {
    const { registry, metrics, logs, connect } = setUp({ queueCapacity: 2 });
    const zuri = seedUser('zuri');
    // Never reads: its queue fills.
    const stalled = registry.subscribe({
      userId: zuri.id,
      organizationId: zuri.organizationId,
      locationId: zuri.locationId,
      connectionId: 'zuri#stalled',
    });
    const reader = connect('zuri', 'zuri#reader');

    const results: DispatchResult[] = [];
    for (const id of ['o-1', 'o-2', 'o-3', 'o-4']) {
      results.push(
        registry.dispatch(seedEvent('zapa', ['location-5'], { id })),
      );
      await settle();
    }

    expect(results.map((result) => result.overflowed)).toEqual([0, 0, 1, 0]);
    // The stalled subscriber is gone from the index: no longer a candidate.
    expect(results[3]).toMatchObject({ candidates: 1, delivered: 1 });
    expect(reader.received).toEqual(['o-1', 'o-2', 'o-3', 'o-4']);
    expect(metrics.overflows).toBe(1);
    expect(metrics.removed).toEqual(['overflow']);
    expect(registry.subscriberCountOf('zuri')).toBe(1);
    expect(
      logs.withMessage('subscriber queue overflowed; ending its subscription'),
    ).toEqual([
      expect.objectContaining({
        level: 'warn',
        eventId: 'o-3',
        userId: 'zuri',
        connectionId: 'zuri#stalled',
        queueCapacity: 2,
      }),
    ]);

    // The client learns at once, not after the queued events.
    const error = await stalled.next().then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.SUBSCRIBER_OVERFLOW);
    await expect(stalled.next()).resolves.toEqual({
      done: true,
      value: undefined,
    });
    registry.close();
  });

  it('measures delivery delay from createdAt to hand-off with the injected clock', async () => {
    const createdAt = new Date('2025-01-02T03:04:05.000Z');
    let nowMillis = createdAt.getTime() + 1_500;
    const { registry, metrics } = setUp({ now: () => nowMillis });
    const zuri = seedUser('zuri');
    const iterator = registry.subscribe({
      userId: zuri.id,
      organizationId: null,
      locationId: zuri.locationId,
    });

    const waiting = iterator.next();
    registry.dispatch(seedEvent('zapa', ['location-5'], { createdAt }));
    await waiting;
    expect(metrics.delaysSeconds).toEqual([1.5]);

    // Queued: measured when the consumer takes it, not when it was queued.
    registry.dispatch(seedEvent('zapa', ['location-5'], { createdAt }));
    nowMillis = createdAt.getTime() + 4_000;
    await iterator.next();
    expect(metrics.delaysSeconds).toEqual([1.5, 4]);

    // A clock behind the author's instance never yields a negative delay.
    nowMillis = createdAt.getTime() - 250;
    registry.dispatch(seedEvent('zapa', ['location-5'], { createdAt }));
    await iterator.next();
    expect(metrics.delaysSeconds).toEqual([1.5, 4, 0]);
    registry.close();
  });

  it('ends every iterator on close and refuses new subscribers', async () => {
    const { registry, metrics, connect, logs } = setUp();
    const connections = SEED_USERS.map((user) => connect(user.id));
    registry.dispatch(seedEvent('zowi', ['location-3']));

    registry.close();
    registry.close();
    const errors = await Promise.all(connections.map((c) => c.finished));
    expect(errors).toEqual(SEED_USERS.map(() => undefined));
    expect(registry.stats()).toEqual({
      subscribers: 0,
      indexKeys: { locations: 0, organizations: 0, users: 0 },
      pendingNexts: 0,
      queuedEvents: 0,
    });
    expect(metrics.removed).toEqual(SEED_USERS.map(() => 'shutdown'));
    expect(logs.withMessage('fanout registry closed')).toEqual([
      expect.objectContaining({ level: 'info', subscribers: 6 }),
    ]);

    let refusal: unknown;
    try {
      connect('zuri');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('rejects a queue capacity that is not a positive integer', () => {
    const { logger } = captureLogs();
    expect(() => new FanoutRegistry({ logger, queueCapacity: 0 })).toThrow(
      RangeError,
    );
  });
});
