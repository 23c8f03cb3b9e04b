import { EventEmitter } from 'node:events';

import { PubSub, withFilter } from 'graphql-subscriptions';

import { decideDelivery, type Audience } from '../src/domain/shareRule.js';
import type { TemplateEvent } from '../src/domain/types.js';
import { FanoutRegistry } from '../src/fanout/FanoutRegistry.js';
import { SubscriberStream } from '../src/fanout/SubscriberStream.js';
import { createLogger } from '../src/logging/createLogger.js';

/**
 * One way of getting events to this instance's subscribers. Each has a
 * consumer reading every subscriber's iterator, as graphql-ws would, so
 * the cost measured includes handing events over, not only routing them.
 */
export interface Approach {
  readonly name: string;
  /** Routes one event; consumers receive it once pending callbacks run. */
  publish(event: TemplateEvent): void;
  /** Events every consumer has received so far, added up. */
  deliveredCount(): number;
  close(): Promise<void>;
}

/** Queue room per subscriber: consumers keep up, so it is never reached. */
const QUEUE_CAPACITY = 1_000;

const TRIGGER = 'templateAdded';

/** Reads `iterator` to the end, counting what it yields. */
function consume(
  iterator: AsyncIterator<unknown>,
  counter: { delivered: number },
): void {
  void (async () => {
    for (;;) {
      const result = await iterator.next();
      if (result.done === true) return;
      counter.delivered += 1;
    }
  })();
}

/** Ours: the registry looks the audience up by location and organisation. */
export function indexedRegistry(subscribers: readonly Audience[]): Approach {
  const logger = createLogger({
    instanceId: 'bench',
    log: { level: 'silent', format: 'json' },
  });
  const registry = new FanoutRegistry({
    logger,
    queueCapacity: QUEUE_CAPACITY,
  });
  const counter = { delivered: 0 };
  for (const subscriber of subscribers) {
    consume(
      registry.subscribe({
        userId: subscriber.id,
        organizationId: subscriber.organizationId,
        locationId: subscriber.locationId,
      }),
      counter,
    );
  }
  return {
    name: 'indexed FanoutRegistry.dispatch',
    publish: (event) => void registry.dispatch(event),
    deliveredCount: () => counter.delivered,
    close: () => Promise.resolve(registry.close()),
  };
}

/**
 * The same queues and hand-off as ours, but every subscriber's filter runs
 * for every event: the routing cost of any approach without an index.
 */
export function filterEverySubscriber(
  subscribers: readonly Audience[],
): Approach {
  const counter = { delivered: 0 };
  const entries = subscribers.map((audience) => {
    const stream = new SubscriberStream<TemplateEvent>({
      capacity: QUEUE_CAPACITY,
      onEnd: () => undefined,
    });
    consume(stream, counter);
    return { audience, stream };
  });
  return {
    name: 'loop: share rule per subscriber',
    publish: (event) => {
      for (const entry of entries) {
        if (decideDelivery(entry.audience, event).deliver) {
          entry.stream.offer(event);
        }
      }
    },
    deliveredCount: () => counter.delivered,
    close: () => {
      for (const entry of entries) entry.stream.end('shutdown');
      return Promise.resolve();
    },
  };
}

/**
 * What graphql-subscriptions' `withFilter` over a PubSub does (and so
 * @axelspringer/graphql-google-pubsub, which hands each Pub/Sub message to
 * every listener of its topic): every subscriber's iterator receives every
 * event and runs its filter on it. This is the real library, with the same
 * filter as ours.
 */
export async function withFilterOverPubSub(
  subscribers: readonly Audience[],
): Promise<Approach> {
  const eventEmitter = new EventEmitter();
  // One listener per subscriber is the design under test; silence the
  // "possible leak" warning it would otherwise print.
  eventEmitter.setMaxListeners(0);
  const pubsub = new PubSub({ eventEmitter });
  const counter = { delivered: 0 };
  for (const audience of subscribers) {
    const subscribe = withFilter(
      () => pubsub.asyncIterableIterator<TemplateEvent>(TRIGGER),
      (event?: TemplateEvent) =>
        event !== undefined && decideDelivery(audience, event).deliver,
    );
    consume(await subscribe(), counter);
  }
  return {
    name: 'graphql-subscriptions withFilter over PubSub',
    publish: (event) => void pubsub.publish(TRIGGER, event),
    deliveredCount: () => counter.delivered,
    // Returning each iterator would take minutes at 50,000: PubSub removes
    // a listener by scanning all of them. Dropping them all is enough here.
    close: () => {
      eventEmitter.removeAllListeners();
      return Promise.resolve();
    },
  };
}
