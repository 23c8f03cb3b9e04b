import { collectDefaultMetrics, Registry } from 'prom-client';

import type { BusMetrics } from '../../bus/BusMetrics.js';
import type { EventBus } from '../../bus/EventBus.js';
import type { BusKind } from '../../config/config.js';
import { ErrorCode } from '../../domain/errorCodes.js';
import type { ShareClause } from '../../domain/shareRule.js';
import type {
  FanoutMetrics,
  SubscriberEndReason,
} from '../../fanout/FanoutMetrics.js';
import type { ServerMetrics } from '../ServerMetrics.js';
import { createMetricInstruments } from './createMetricInstruments.js';

/**
 * One instance's metrics: what the server, the fan-out and the bus report,
 * on a registry of its own, rendered by GET /metrics.
 */
export interface TemplateFeedMetrics
  extends ServerMetrics, FanoutMetrics, BusMetrics {
  /** The registry behind GET /metrics (default process metrics included). */
  readonly registry: Registry;
  /**
   * An event reached this instance's bus handler: records how long after
   * the template's `createdAt` it arrived. main.ts calls it from the handler
   * it gives `bus.start`, before the fan-out.
   */
  eventArrived(createdAt: Date): void;
  /**
   * Reports `bus` as template_feed_bus_attached on every scrape. main.ts
   * calls it once the bus exists (the bus itself takes these metrics).
   */
  watchBus(bus: Pick<EventBus, 'kind' | 'isAttached'>): void;
}

export interface CreateMetricsOptions {
  /** The bus in use: its series start at zero instead of being absent. */
  readonly bus?: BusKind;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  readonly now?: () => number;
  /**
   * Adds Node's process metrics (CPU, memory, event-loop lag, GC, handles).
   * Default true.
   */
  readonly defaultMetrics?: boolean;
}

const END_REASONS: readonly SubscriberEndReason[] = [
  'unsubscribed',
  'overflow',
  'shutdown',
];

const CLAUSES: readonly ShareClause[] = [
  'author',
  'location',
  'organization',
  'none',
];

// Outcomes a label may take; anything else is folded into 'other' so a
// stray code can never grow the series count.
const OUTCOMES: ReadonlySet<string> = new Set([
  'success',
  ...Object.values(ErrorCode),
]);

/**
 * Builds the metrics of one process on a fresh prom-client `Registry` (not
 * the global default, so tests can build several). Names and labels are
 * documented in docs/observability.md.
 */
export function createMetrics(
  options: CreateMetricsOptions = {},
): TemplateFeedMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
  }
  let watchedBus: Pick<EventBus, 'kind' | 'isAttached'> | undefined;
  const m = createMetricInstruments(registry, { bus: () => watchedBus });

  // Series that exist before their first event, so rate() and dashboards
  // see a zero rather than nothing.
  for (const clause of CLAUSES) m.shareRuleDecisions.labels(clause).inc(0);
  for (const reason of END_REASONS) m.subscriptionsEnded.labels(reason).inc(0);
  for (const transport of ['http', 'websocket']) {
    m.authenticationFailures.labels(transport).inc(0);
  }
  if (options.bus !== undefined) {
    const bus = options.bus;
    for (const counter of [
      m.busEventsReceived,
      m.busInvalidMessages,
      m.busDuplicates,
      m.busReconnects,
      m.busPublishFailures,
    ]) {
      counter.labels(bus).inc(0);
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),

    // ServerMetrics
    webSocketConnected: () => m.openConnections.inc(),
    webSocketDisconnected: () => m.openConnections.dec(),
    authenticationFailed: (transport) =>
      m.authenticationFailures.labels(transport).inc(),
    graphqlOperationCompleted: (type, outcome) =>
      m.graphqlOperations
        .labels(type, OUTCOMES.has(outcome) ? outcome : 'other')
        .inc(),

    // FanoutMetrics
    subscriberAdded: () => m.activeSubscriptions.inc(),
    subscriberRemoved: (reason) => {
      m.activeSubscriptions.dec();
      m.subscriptionsEnded.labels(reason).inc();
    },
    eventDispatched: (result) => {
      m.eventsDispatched.inc();
      m.deliveries.inc(result.delivered);
      m.filtered.inc(result.filtered);
      for (const clause of CLAUSES) {
        const count = result.decisions[clause];
        if (count > 0) m.shareRuleDecisions.labels(clause).inc(count);
      }
      // Entitled subscribers whose queue overflowed were still an audience.
      if (result.decisions.location + result.decisions.organization === 0) {
        m.eventsWithoutLocalAudience.inc();
      }
    },
    queueOverflowed: () => m.queueOverflows.inc(),
    deliveryDelayObserved: (delaySeconds) =>
      m.deliveryDelay.observe(delaySeconds),

    // BusMetrics
    eventReceived: (kind) => m.busEventsReceived.labels(kind).inc(),
    invalidMessageDropped: (kind) => m.busInvalidMessages.labels(kind).inc(),
    duplicateDropped: (kind) => m.busDuplicates.labels(kind).inc(),
    reconnected: (kind) => m.busReconnects.labels(kind).inc(),
    publishFailed: (kind) => m.busPublishFailures.labels(kind).inc(),

    eventArrived: (createdAt) => {
      const nowMillis = now();
      // Another instance's clock may run ahead of ours; never report < 0.
      const delaySeconds = Math.max(0, nowMillis - createdAt.getTime()) / 1_000;
      m.busReceiveDelay.observe(delaySeconds);
      m.busLastEventDelay.set(delaySeconds);
      m.busLastEventReceived.set(nowMillis / 1_000);
    },
    watchBus: (bus) => {
      watchedBus = bus;
    },
  };
}
