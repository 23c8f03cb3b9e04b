import type { Logger } from 'pino';

import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import {
  decideDelivery,
  type Audience,
  type ShareClause,
} from '../domain/shareRule.js';
import type { TemplateEvent } from '../domain/types.js';
import {
  AudienceIndex,
  type AudienceIndexSizes,
  type AudienceKeys,
} from './AudienceIndex.js';
import {
  noopFanoutMetrics,
  type DispatchResult,
  type FanoutMetrics,
  type SubscriberEndReason,
} from './FanoutMetrics.js';
import { SubscriberStream } from './SubscriberStream.js';

/** Who is subscribing: the identity the share rule is applied to. */
export interface FanoutSubscriber {
  readonly userId: string;
  readonly organizationId: string | null;
  readonly locationId: string | null;
  /**
   * The graphql-ws connection it came over: for logs, and for
   * `closeConnection` to end what that connection left behind.
   */
  readonly connectionId?: string;
}

/**
 * What `subscribe` returns: an async iterator whose `return()` and `throw()`
 * always exist (graphql-ws only calls `return()` on iterators that have it).
 */
export interface TemplateEventIterator extends AsyncIterableIterator<
  TemplateEvent,
  undefined,
  undefined
> {
  return(): Promise<IteratorResult<TemplateEvent, undefined>>;
  throw(error?: unknown): Promise<IteratorResult<TemplateEvent, undefined>>;
}

export interface FanoutRegistryOptions {
  readonly logger: Logger;
  /**
   * Events one subscriber may have waiting before it is cut off with
   * SUBSCRIBER_OVERFLOW (config `subscriberQueueCapacity`).
   */
  readonly queueCapacity: number;
  /** Defaults to metrics that go nowhere. */
  readonly metrics?: FanoutMetrics;
  /** Milliseconds since the epoch, for delivery delay; `Date.now` by default. */
  readonly now?: () => number;
}

/** A snapshot of the registry's size, for tests and diagnostics. */
export interface FanoutRegistryStats {
  readonly subscribers: number;
  /** Distinct keys in each index; all zero when nobody is subscribed. */
  readonly indexKeys: AudienceIndexSizes;
  /** `next()` calls waiting for an event, over all subscribers. */
  readonly pendingNexts: number;
  /** Events queued for consumers that have not asked for them yet. */
  readonly queuedEvents: number;
}

interface Entry extends AudienceKeys {
  readonly connectionId: string | undefined;
  /** The same identity in the shape the share rule reads. */
  readonly audience: Audience;
  readonly stream: SubscriberStream<TemplateEvent>;
  /** The dispatch that last decided for this entry, so each counts once. */
  lastDispatch: number;
}

interface Tally {
  candidates: number;
  delivered: number;
  filtered: number;
  overflowed: number;
  readonly decisions: Record<ShareClause, number>;
}

/**
 * This instance's live `templateAdded` subscribers. Every event the bus
 * delivers goes through `dispatch`, which looks its audience up by shared
 * location and organisation, so its cost follows the subscribers the event
 * could reach, not the number connected.
 */
export class FanoutRegistry {
  private readonly logger: Logger;
  private readonly queueCapacity: number;
  private readonly metrics: FanoutMetrics;
  private readonly now: () => number;

  private readonly index = new AudienceIndex<Entry>();
  private readonly entries = new Set<Entry>();
  // Entries by the connection they came over, so closing one connection
  // costs its own subscribers, not a scan of everyone's.
  private readonly byConnection = new Map<string, Set<Entry>>();
  private dispatchCount = 0;
  private closed = false;

  constructor(options: FanoutRegistryOptions) {
    if (!Number.isInteger(options.queueCapacity) || options.queueCapacity < 1) {
      throw new RangeError('queueCapacity must be a positive integer');
    }
    this.logger = options.logger.child({ module: 'fanout' });
    this.queueCapacity = options.queueCapacity;
    this.metrics = options.metrics ?? noopFanoutMetrics;
    this.now = options.now ?? Date.now;
  }

  /** Live subscribers on this instance. */
  get subscriberCount(): number {
    return this.entries.size;
  }

  /** Live subscriptions of one user on this instance, over all connections. */
  subscriberCountOf(userId: string): number {
    return this.index.ofUser(userId).size;
  }

  /** Connections with at least one live subscriber on this instance. */
  get connectionCount(): number {
    return this.byConnection.size;
  }

  /** Live subscribers that came over `connectionId`. */
  subscriberCountOfConnection(connectionId: string): number {
    return this.byConnection.get(connectionId)?.size ?? 0;
  }

  stats(): FanoutRegistryStats {
    let pendingNexts = 0;
    let queuedEvents = 0;
    for (const entry of this.entries) {
      pendingNexts += entry.stream.pendingNextCount;
      queuedEvents += entry.stream.queuedCount;
    }
    return {
      subscribers: this.entries.size,
      indexKeys: this.index.sizes,
      pendingNexts,
      queuedEvents,
    };
  }

  /**
   * Registers a subscriber and returns the iterator its subscription
   * resolver hands to graphql-ws. Calling `return()` on it (client completed,
   * socket dropped) removes the subscriber at once, even before the first
   * `next()`. An iterator that falls `queueCapacity` events behind is ended
   * with a DomainError SUBSCRIBER_OVERFLOW: the client should subscribe
   * again and refetch `templates`.
   *
   * @throws DomainError SERVICE_UNAVAILABLE once the registry is closed.
   */
  subscribe(subscriber: FanoutSubscriber): TemplateEventIterator {
    if (this.closed) {
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'This instance is shutting down; subscribe again.',
      );
    }

    const stream = new SubscriberStream<TemplateEvent>({
      capacity: this.queueCapacity,
      onEnd: (reason) => this.remove(entry, reason),
      onHandOff: (event) => this.observeDelay(event),
    });
    const entry: Entry = {
      userId: subscriber.userId,
      organizationId: subscriber.organizationId,
      locationId: subscriber.locationId,
      connectionId: subscriber.connectionId,
      audience: {
        id: subscriber.userId,
        organizationId: subscriber.organizationId,
        locationId: subscriber.locationId,
      },
      stream,
      lastDispatch: 0,
    };

    this.entries.add(entry);
    this.index.add(entry);
    if (entry.connectionId !== undefined) {
      let ofConnection = this.byConnection.get(entry.connectionId);
      if (ofConnection === undefined) {
        ofConnection = new Set();
        this.byConnection.set(entry.connectionId, ofConnection);
      }
      ofConnection.add(entry);
    }
    this.metrics.subscriberAdded();
    this.logger.debug(
      { userId: entry.userId, connectionId: entry.connectionId },
      'subscriber added',
    );
    return stream;
  }

  /**
   * Routes one event to every entitled subscriber on this instance. The
   * candidates are those indexed under a shared location or a shared
   * location's organisation, plus the author's own connections (so their
   * refusal is logged too); the share rule decides for each, once.
   */
  dispatch(event: TemplateEvent): DispatchResult {
    this.dispatchCount += 1;
    const stamp = this.dispatchCount;
    const logDecisions = this.logger.isLevelEnabled('debug');
    const tally: Tally = {
      candidates: 0,
      delivered: 0,
      filtered: 0,
      overflowed: 0,
      decisions: { author: 0, location: 0, organization: 0, none: 0 },
    };

    for (const entry of this.index.ofUser(event.template.createdById)) {
      this.decide(entry, event, stamp, tally, logDecisions);
    }
    for (const locationId of event.template.shareLocationIds) {
      for (const entry of this.index.atLocation(locationId)) {
        this.decide(entry, event, stamp, tally, logDecisions);
      }
    }
    for (const organizationId of event.shareOrganizationIds) {
      for (const entry of this.index.inOrganization(organizationId)) {
        this.decide(entry, event, stamp, tally, logDecisions);
      }
    }

    const result: DispatchResult = { ...tally };
    this.metrics.eventDispatched(result);
    this.logger.debug(
      {
        eventId: event.id,
        candidates: result.candidates,
        delivered: result.delivered,
        filtered: result.filtered,
        overflowed: result.overflowed,
      },
      'event dispatched',
    );
    return result;
  }

  /**
   * Ends every subscriber that came over `connectionId` (consumers see
   * `done`): the server calls it once that connection's socket has closed.
   * graphql-ws normally ends them itself before; this catches the ones it
   * lost track of (version 6.4.2 loses one when a client subscribes again
   * with an id it has just completed). Returns how many it ended.
   */
  closeConnection(connectionId: string): number {
    const ofConnection = this.byConnection.get(connectionId);
    if (ofConnection === undefined) return 0;
    const subscribers = ofConnection.size;
    let droppedEvents = 0;
    // end() removes each entry from the set being read, hence the copy.
    for (const entry of [...ofConnection]) {
      droppedEvents += entry.stream.end('unsubscribed');
    }
    this.logger.debug(
      { connectionId, subscribers, droppedEvents },
      'subscribers of a closed connection ended',
    );
    return subscribers;
  }

  /**
   * Ends every subscriber's iterator (consumers see `done`) and refuses new
   * ones: the fan-out's part of shutdown. Queued events are dropped; clients
   * refetch when they reconnect to another instance.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const subscribers = this.entries.size;
    let droppedEvents = 0;
    for (const entry of [...this.entries]) {
      droppedEvents += entry.stream.end('shutdown');
    }
    this.logger.info({ subscribers, droppedEvents }, 'fanout registry closed');
  }

  private decide(
    entry: Entry,
    event: TemplateEvent,
    stamp: number,
    tally: Tally,
    logDecisions: boolean,
  ): void {
    // A subscriber can be indexed under several of the event's keys.
    if (entry.lastDispatch === stamp) return;
    entry.lastDispatch = stamp;
    tally.candidates += 1;

    const decision = decideDelivery(entry.audience, event);
    tally.decisions[decision.clause] += 1;
    let delivered = false;
    if (!decision.deliver) {
      tally.filtered += 1;
    } else if (entry.stream.offer(event) === 'full') {
      tally.overflowed += 1;
      this.overflow(entry, event);
    } else {
      tally.delivered += 1;
      delivered = true;
    }

    if (logDecisions) {
      this.logger.debug(
        {
          eventId: event.id,
          templateId: event.template.id,
          userId: entry.userId,
          connectionId: entry.connectionId,
          delivered,
          clause: decision.clause,
        },
        'share rule decision',
      );
    }
  }

  private overflow(entry: Entry, event: TemplateEvent): void {
    this.logger.warn(
      {
        eventId: event.id,
        userId: entry.userId,
        connectionId: entry.connectionId,
        queueCapacity: this.queueCapacity,
      },
      'subscriber queue overflowed; ending its subscription',
    );
    this.metrics.queueOverflowed();
    entry.stream.fail(
      new DomainError(
        ErrorCode.SUBSCRIBER_OVERFLOW,
        'Too many templates were waiting for this subscription. ' +
          'Subscribe again and refetch templates.',
        { queueCapacity: this.queueCapacity },
      ),
      'overflow',
    );
  }

  private remove(entry: Entry, reason: SubscriberEndReason): void {
    if (!this.entries.delete(entry)) return;
    this.index.remove(entry);
    if (entry.connectionId !== undefined) {
      const ofConnection = this.byConnection.get(entry.connectionId);
      ofConnection?.delete(entry);
      if (ofConnection?.size === 0) {
        this.byConnection.delete(entry.connectionId);
      }
    }
    this.metrics.subscriberRemoved(reason);
    this.logger.debug(
      { userId: entry.userId, connectionId: entry.connectionId, reason },
      'subscriber removed',
    );
  }

  private observeDelay(event: TemplateEvent): void {
    // Another instance's clock may run ahead of ours; never report < 0.
    const delayMillis = Math.max(
      0,
      this.now() - event.template.createdAt.getTime(),
    );
    this.metrics.deliveryDelayObserved(delayMillis / 1_000);
  }
}
