import type { Message } from '@google-cloud/pubsub';

import { decodeTemplateEvent } from '../domain/templateEventCodec.js';
import type { TemplateEvent } from '../domain/types.js';
import type { Logger } from '../logging/createLogger.js';
import type { BusMetrics } from './BusMetrics.js';
import type { EventHandler } from './EventBus.js';
import type { HandOff } from './pubsubCatchUp.js';
import { RecentEventIds } from './RecentEventIds.js';

/** Failed event ids remembered for redelivery; failures should be rare. */
const MAX_REDELIVERABLE_IDS = 1_000;

/**
 * Turns one Pub/Sub message into at most one handler call, and decides its
 * fate: ack what was handed over (or can never be), nack what failed so
 * Pub/Sub delivers it again. Events a catch-up reads back from the event log
 * go through the same duplicate filter, so each event reaches the handler
 * once whichever way it comes first.
 */
export class PubSubMessageHandler {
  private readonly handler: EventHandler;
  private readonly logger: Logger;
  private readonly metrics: BusMetrics;
  private readonly recentEventIds = new RecentEventIds();
  /**
   * Ids whose handling threw. RecentEventIds already holds them, so without
   * this their redelivery would be dropped as a duplicate.
   */
  private readonly redeliverableEventIds = new Set<string>();

  constructor(options: {
    readonly handler: EventHandler;
    readonly logger: Logger;
    readonly metrics: BusMetrics;
  }) {
    this.handler = options.handler;
    this.logger = options.logger;
    this.metrics = options.metrics;
  }

  handle(message: Message): void {
    const messageId = message.id;

    // Anything on the topic that is not a template event (a stray publisher,
    // a newer format) can never be handled: ack it, or Pub/Sub would offer
    // it to us forever.
    let event: TemplateEvent;
    try {
      event = decodeTemplateEvent(message.data);
    } catch (err) {
      this.logger.warn({ err, messageId }, 'pubsub invalid message dropped');
      this.metrics.invalidMessageDropped('pubsub');
      message.ack();
      return;
    }

    // Pub/Sub delivers at least once.
    const eventId = event.id;
    if (!this.claim(eventId)) {
      this.logger.debug({ messageId, eventId }, 'pubsub duplicate dropped');
      this.metrics.duplicateDropped('pubsub');
      message.ack();
      return;
    }

    // Ack only once the event is handed over: a crash before this line
    // leaves the message to be delivered again.
    this.metrics.eventReceived('pubsub');
    try {
      this.handler(event);
    } catch (err) {
      this.logger.error(
        { err, messageId, eventId },
        'pubsub event handler failed; message nacked for redelivery',
      );
      this.rememberForRedelivery(eventId);
      message.nack();
      return;
    }
    this.logger.debug({ messageId, eventId }, 'pubsub event delivered');
    message.ack();
  }

  /**
   * Offers an event a catch-up read from the event log. Nothing is acked;
   * a duplicate is expected (the catch-up re-reads a margin before the
   * detachment), so it is not counted as one. A handler that throws is
   * logged and the id remembered, so a copy that still comes over Pub/Sub,
   * or a retried catch-up, hands it over again.
   */
  handleStored(event: TemplateEvent): HandOff {
    const eventId = event.id;
    if (!this.claim(eventId)) {
      this.logger.debug({ eventId }, 'pubsub caught-up event already received');
      return 'duplicate';
    }

    this.metrics.eventReceived('pubsub');
    try {
      this.handler(event);
    } catch (err) {
      this.logger.error(
        { err, eventId },
        'pubsub event handler failed on a caught-up event',
      );
      this.rememberForRedelivery(eventId);
      return 'failed';
    }
    this.logger.debug({ eventId }, 'pubsub event caught up');
    return 'handed-over';
  }

  /**
   * Records `eventId` as handed over; false when it already was (a
   * duplicate) and is not waiting to be handed over again after a failure.
   */
  private claim(eventId: string): boolean {
    const firstSighting = this.recentEventIds.add(eventId);
    return firstSighting || this.redeliverableEventIds.delete(eventId);
  }

  private rememberForRedelivery(eventId: string): void {
    this.redeliverableEventIds.add(eventId);
    if (this.redeliverableEventIds.size > MAX_REDELIVERABLE_IDS) {
      const oldest = this.redeliverableEventIds.values().next();
      if (oldest.done !== true) this.redeliverableEventIds.delete(oldest.value);
    }
  }
}
