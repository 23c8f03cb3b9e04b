import {
  decodeTemplateEvent,
  encodeTemplateEvent,
} from '../domain/templateEventCodec.js';
import type { TemplateEvent } from '../domain/types.js';
import type { Logger } from '../logging/createLogger.js';
import { noopBusMetrics, type BusMetrics } from './BusMetrics.js';
import type { EventBus, EventHandler } from './EventBus.js';
import { RecentEventIds } from './RecentEventIds.js';

export interface MemoryBusOptions {
  readonly logger: Logger;
  /** Event ids remembered to drop duplicates; RecentEventIds' default. */
  readonly recentEventIdsCapacity?: number;
  /** Defaults to metrics that count nothing. */
  readonly metrics?: BusMetrics;
}

/**
 * An in-process bus: what one instance publishes reaches only that instance.
 * Right for a single process (development, unit tests); with several pods
 * each would see only its own events, which is why start-up warns.
 *
 * It still behaves like the real buses where that matters to callers: events
 * are encoded and decoded (the handler never shares the publisher's object),
 * delivery happens on a later turn of the event loop (publish never re-enters
 * the caller), and duplicate event ids are dropped.
 */
export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;

  private readonly logger: Logger;
  private readonly seen: RecentEventIds;
  private readonly metrics: BusMetrics;
  private handler: EventHandler | undefined;
  // Deliveries scheduled but not yet run; close() cancels them.
  private readonly scheduled = new Set<NodeJS.Immediate>();
  private closed = false;

  constructor(options: MemoryBusOptions) {
    this.logger = options.logger.child({ module: 'bus', bus: 'memory' });
    this.seen = new RecentEventIds(options.recentEventIdsCapacity);
    this.metrics = options.metrics ?? noopBusMetrics;
  }

  start(handler: EventHandler): Promise<void> {
    if (this.closed) return Promise.reject(new Error('MemoryBus is closed'));
    if (this.handler !== undefined) {
      return Promise.reject(new Error('MemoryBus is already started'));
    }
    this.handler = handler;
    this.logger.warn(
      'memory bus: events will not cross instances; with more than one ' +
        'instance set BUS=pubsub (or BUS=postgres)',
    );
    return Promise.resolve();
  }

  publish(event: TemplateEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('MemoryBus is closed'));
    // Encode now, as a real bus would, so a bad event fails its publisher.
    let data: string;
    try {
      data = encodeTemplateEvent(event);
    } catch (err) {
      return Promise.reject(
        err instanceof Error ? err : new Error(String(err)),
      );
    }
    // Before start nobody is listening, as on a real bus whose subscription
    // does not exist yet: the event reaches no one.
    if (this.handler === undefined) {
      this.logger.debug({ eventId: event.id }, 'event published before start');
      return Promise.resolve();
    }
    const delivery = setImmediate(() => {
      this.scheduled.delete(delivery);
      this.deliver(data);
    });
    this.scheduled.add(delivery);
    return Promise.resolve();
  }

  isAttached(): boolean {
    return this.handler !== undefined && !this.closed;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.handler = undefined;
      for (const delivery of this.scheduled) clearImmediate(delivery);
      this.logger.info(
        { undelivered: this.scheduled.size },
        'memory bus closed',
      );
      this.scheduled.clear();
    }
    return Promise.resolve();
  }

  private deliver(data: string): void {
    const handler = this.handler;
    if (handler === undefined) return;

    let event: TemplateEvent;
    try {
      event = decodeTemplateEvent(data);
    } catch (err) {
      this.logger.warn({ err }, 'memory bus dropped an undecodable event');
      this.metrics.invalidMessageDropped(this.kind);
      return;
    }
    if (!this.seen.add(event.id)) {
      this.logger.debug({ eventId: event.id }, 'duplicate event dropped');
      this.metrics.duplicateDropped(this.kind);
      return;
    }
    this.metrics.eventReceived(this.kind);

    try {
      handler(event);
    } catch (err) {
      // A throwing handler is our bug; it must not take the process down.
      this.logger.error(
        { err, eventId: event.id },
        'event handler threw; event lost on this instance',
      );
    }
  }
}
