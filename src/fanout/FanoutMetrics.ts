import type { ShareClause } from '../domain/shareRule.js';

/** Why a subscriber left the registry. */
export type SubscriberEndReason =
  /** The client completed, or its socket dropped: `return()` was called. */
  | 'unsubscribed'
  /** Its queue overflowed; it was ended with SUBSCRIBER_OVERFLOW. */
  | 'overflow'
  /** The registry was closed (instance shutdown). */
  | 'shutdown';

/** What routing one event on this instance came to. */
export interface DispatchResult {
  /**
   * Subscribers the share rule was asked about, each counted once: those
   * indexed under a shared location or organisation, plus the author's own
   * connections. Always `delivered + filtered + overflowed`.
   */
  readonly candidates: number;
  /** Subscribers the event was handed to or queued for. */
  readonly delivered: number;
  /** Candidates the share rule held it back from. */
  readonly filtered: number;
  /**
   * Share-rule decisions by the clause that made them: `location` and
   * `organization` entitle (delivered or overflowed), `author` and `none`
   * filter.
   */
  readonly decisions: Readonly<Record<ShareClause, number>>;
  /** Entitled subscribers whose queue was full; each was ended instead. */
  readonly overflowed: number;
}

/**
 * The counters the fan-out reports. The server implements this with
 * prom-client; the fan-out only calls it, so it knows nothing of Prometheus.
 * Every method is called synchronously on the routing path and must be cheap.
 */
export interface FanoutMetrics {
  /** A subscriber joined (a gauge of live subscribers goes up). */
  subscriberAdded(): void;

  /** A subscriber left, and why (the gauge goes down). */
  subscriberRemoved(reason: SubscriberEndReason): void;

  /**
   * Called once per routed event. `result.delivered === 0` means no
   * subscriber on this instance was entitled to it (no local audience);
   * `result.decisions` gives deliveries and filtered decisions by clause.
   */
  eventDispatched(result: DispatchResult): void;

  /** A subscriber's queue overflowed and the subscriber was cut off. */
  queueOverflowed(): void;

  /**
   * Seconds from the template's `createdAt` until the event was handed to a
   * subscriber's consumer (its `next()` resolved with it). Called once per
   * delivery; never negative (clock skew between instances is clamped).
   */
  deliveryDelayObserved(delaySeconds: number): void;
}

/** Metrics that go nowhere: the default, and what unit tests use. */
export const noopFanoutMetrics: FanoutMetrics = Object.freeze({
  subscriberAdded: () => undefined,
  subscriberRemoved: () => undefined,
  eventDispatched: () => undefined,
  queueOverflowed: () => undefined,
  deliveryDelayObserved: () => undefined,
});
