import type { TemplateEvent } from '../domain/types.js';

/** Who is subscribing: what the fan-out needs to apply the share rule. */
export interface FeedSubscriber {
  readonly userId: string;
  readonly organizationId: string | null;
  readonly locationId: string | null;
  /** The WebSocket connection it came over, for logs. */
  readonly connectionId?: string;
}

/**
 * The part of the fan-out registry the GraphQL layer uses. The iterator
 * yields the events the share rule lets `subscriber` see; `return()` on it
 * (graphql-ws calls it when the client completes or the socket closes)
 * removes the subscriber.
 */
export interface TemplateEventFeed {
  subscribe(subscriber: FeedSubscriber): AsyncIterableIterator<TemplateEvent>;
}
