import { PubSubEngine } from 'graphql-subscriptions';
import type { Logger } from 'pino';

import type { EventBus, EventHandler } from '../bus/EventBus.js';
import {
  decodeTemplateEvent,
  encodeTemplateEvent,
} from '../domain/templateEventCodec.js';
import type { TemplateEvent } from '../domain/types.js';

/**
 * The one trigger the bus carries: a template was added. Its payload, as
 * published and as delivered, is the TemplateEvent (the template plus the
 * author snapshot and share organisations the filter needs).
 */
export const TEMPLATE_ADDED_TRIGGER = 'templateAdded';

type Listener = (payload: TemplateEvent) => unknown;

export interface BusPubSubEngineOptions {
  /** Carries published events to every instance, this one included. */
  readonly bus: EventBus;
  readonly logger: Logger;
}

/**
 * A graphql-subscriptions PubSubEngine (v3: publish, subscribe, unsubscribe,
 * asyncIterableIterator) over our EventBus, so resolvers written for
 * `@axelspringer/graphql-google-pubsub` move over by changing the
 * constructor:
 *
 *     subscribe: withFilter(
 *       () => pubsub.asyncIterator('templateAdded'),
 *       (event, _args, context) => mayReceive(event, context.user),
 *     )
 *
 * Publishing goes over the bus only, never straight to local listeners, so
 * each instance (this one too) delivers each event once, after the bus has
 * carried it. The wiring passes `handleEvent` to `bus.start()`, alone or from
 * the handler that also feeds the fan-out registry.
 *
 * Each iterator's queue is graphql-subscriptions' own and unbounded, and
 * withFilter runs every filter for every event. That is fine for migrating;
 * the production subscription path is FanoutRegistry, which indexes the
 * audience and bounds each subscriber's queue.
 */
export class BusPubSubEngine extends PubSubEngine {
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly listeners = new Map<number, Listener>();
  private nextSubscriptionId = 1;

  constructor(options: BusPubSubEngineOptions) {
    super();
    this.bus = options.bus;
    this.logger = options.logger.child({ module: 'bus-pubsub-engine' });
  }

  /**
   * Hands a bus event to every local listener. Never throws: one failing
   * listener must not make the bus redeliver the event to all the others.
   */
  readonly handleEvent: EventHandler = (event) => {
    for (const [subscriptionId, listener] of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) {
          result.catch((err: unknown) =>
            this.listenerFailed(err, subscriptionId, event),
          );
        }
      } catch (err) {
        this.listenerFailed(err, subscriptionId, event);
      }
    }
  };

  /**
   * Publishes a TemplateEvent to every instance's listeners.
   *
   * @throws TypeError for another trigger or a payload that is not a
   *   TemplateEvent; the bus's error when it did not accept the event.
   */
  override async publish(triggerName: string, payload: unknown): Promise<void> {
    assertTrigger(triggerName);
    await this.bus.publish(asTemplateEvent(payload));
  }

  override async subscribe(
    triggerName: string,
    onMessage: Listener,
    _options?: object,
  ): Promise<number> {
    assertTrigger(triggerName);
    const subscriptionId = this.nextSubscriptionId++;
    this.listeners.set(subscriptionId, onMessage);
    return Promise.resolve(subscriptionId);
  }

  /** Forgets a listener; unknown ids are ignored (iterators end once). */
  override unsubscribe(subscriptionId: number): void {
    this.listeners.delete(subscriptionId);
  }

  /**
   * The name graphql-subscriptions 1.x and 2.x (and so the axelspringer
   * adapter) gave `asyncIterableIterator`; kept so old resolvers run as is.
   */
  asyncIterator<T = TemplateEvent>(
    triggers: string | readonly string[],
  ): AsyncIterableIterator<T> {
    return this.asyncIterableIterator<T>(triggers);
  }

  /** Local listeners, for tests and diagnostics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  private listenerFailed(
    err: unknown,
    subscriptionId: number,
    event: TemplateEvent,
  ): void {
    this.logger.error(
      { err, subscriptionId, eventId: event.id },
      'subscription listener failed',
    );
  }
}

function assertTrigger(triggerName: string): void {
  if (triggerName !== TEMPLATE_ADDED_TRIGGER) {
    throw new TypeError(
      `BusPubSubEngine carries only "${TEMPLATE_ADDED_TRIGGER}", ` +
        `not "${triggerName}"`,
    );
  }
}

/**
 * Checks the payload by the same codec the bus uses, so a malformed one is
 * refused here instead of being dropped by every receiving instance.
 */
function asTemplateEvent(payload: unknown): TemplateEvent {
  try {
    decodeTemplateEvent(encodeTemplateEvent(payload as TemplateEvent));
  } catch (err) {
    throw new TypeError(
      `the "${TEMPLATE_ADDED_TRIGGER}" payload must be a TemplateEvent`,
      { cause: err },
    );
  }
  return payload as TemplateEvent;
}
