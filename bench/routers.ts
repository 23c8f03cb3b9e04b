import { decideDelivery, type Audience } from '../src/domain/shareRule.js';
import type { TemplateEvent } from '../src/domain/types.js';
import { FanoutRegistry } from '../src/fanout/FanoutRegistry.js';
import { SubscriberStream } from '../src/fanout/SubscriberStream.js';
import { createLogger } from '../src/logging/createLogger.js';

/**
 * Routing alone: deciding who gets an event and queueing it for them, with
 * no consumer reading. This is the part the index changes; the hand-off to
 * consumers costs the same whichever way the audience was found.
 */
export interface Router {
  readonly name: string;
  /** Routes one event; returns how many subscribers it was queued for. */
  route(event: TemplateEvent): number;
  close(): void;
}

/**
 * Nobody reads during routing runs, so queues only grow: room for every
 * event a one-second run can queue for one subscriber. Queues grow lazily,
 * so the room costs nothing until used.
 */
const QUEUE_CAPACITY = 1_000_000;

export function indexedRouter(subscribers: readonly Audience[]): Router {
  const registry = new FanoutRegistry({
    logger: createLogger({
      instanceId: 'bench',
      log: { level: 'silent', format: 'json' },
    }),
    queueCapacity: QUEUE_CAPACITY,
  });
  for (const subscriber of subscribers) {
    registry.subscribe({
      userId: subscriber.id,
      organizationId: subscriber.organizationId,
      locationId: subscriber.locationId,
    });
  }
  return {
    name: 'indexed FanoutRegistry.dispatch',
    route: (event) => {
      const result = registry.dispatch(event);
      if (result.overflowed > 0) throw new Error('a queue overflowed');
      return result.delivered;
    },
    close: () => registry.close(),
  };
}

export function loopRouter(subscribers: readonly Audience[]): Router {
  const entries = subscribers.map((audience) => ({
    audience,
    stream: new SubscriberStream<TemplateEvent>({
      capacity: QUEUE_CAPACITY,
      onEnd: () => undefined,
    }),
  }));
  return {
    name: 'loop: share rule per subscriber',
    route: (event) => {
      let delivered = 0;
      for (const entry of entries) {
        if (!decideDelivery(entry.audience, event).deliver) continue;
        if (entry.stream.offer(event) === 'full') {
          throw new Error('a queue overflowed');
        }
        delivered += 1;
      }
      return delivered;
    },
    close: () => {
      for (const entry of entries) entry.stream.end('shutdown');
    },
  };
}
