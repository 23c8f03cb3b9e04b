import type { BusKind } from '../config/config.js';
import type { TemplateEvent } from '../domain/types.js';

export type { BusKind };

/**
 * Receives each event once per instance. Called in delivery order; duplicates
 * (same event id) are dropped before the handler sees them. Once it returns,
 * the bus may acknowledge the message.
 */
export type EventHandler = (event: TemplateEvent) => void;

/**
 * Carries template events from the instance that wrote them to every
 * instance, including itself.
 */
export interface EventBus {
  readonly kind: BusKind;

  /**
   * Attaches this instance (creates its subscription, LISTENs, ...) and starts
   * handing events to `handler`. Rejects when the bus cannot be reached or is
   * misconfigured (say, a missing topic that may not be created).
   */
  start(handler: EventHandler): Promise<void>;

  /** Publishes an event to every instance. Rejects if it was not accepted. */
  publish(event: TemplateEvent): Promise<void>;

  /** True while events published now would reach this instance (readiness). */
  isAttached(): boolean;

  /**
   * Detaches and releases everything (deletes this instance's subscription,
   * UNLISTENs, ...). Never rejects; problems are logged.
   */
  close(): Promise<void>;
}
