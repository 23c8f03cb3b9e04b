import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import type { EventBus } from '../../bus/EventBus.js';

/** Every metric of our own starts with this (the HPA comment relies on it). */
export const METRIC_PREFIX = 'template_feed_';

/**
 * Seconds, for delays that are normally well under a second but must still
 * tell a bus seconds behind from one that was down for minutes (an event
 * written during an outage is delivered after it, up to Pub/Sub's 10-minute
 * retention of a pod's subscription).
 */
export const DELAY_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
  600,
];

/**
 * The prom-client objects behind createMetrics, all registered on
 * `registry`. Labels are low-cardinality by design: bus kind, transport,
 * reason, clause, operation type and outcome; never a user, connection or
 * event id (those are in the logs). The bus delay metrics carry no `bus`
 * label: a process has exactly one bus, and its counters say which.
 */
export function createMetricInstruments(
  registry: Registry,
  sources: MetricSources = {},
) {
  const registers = [registry];
  const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;

  return {
    // Server (WebSocket and HTTP).
    openConnections: new Gauge({
      name: name('open_connections'),
      help: 'Authenticated WebSocket connections open on this instance.',
      registers,
    }),
    authenticationFailures: new Counter({
      name: name('authentication_failures_total'),
      help: 'Requests and connections refused for missing or bad credentials.',
      labelNames: ['transport'] as const,
      registers,
    }),
    graphqlOperations: new Counter({
      name: name('graphql_operations_total'),
      help:
        'GraphQL operations by type and outcome (success, or the error code); ' +
        'subscriptions count when they start or are refused.',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),

    // Fan-out.
    activeSubscriptions: new Gauge({
      name: name('active_subscriptions'),
      help: 'Live templateAdded subscriptions on this instance.',
      registers,
    }),
    subscriptionsEnded: new Counter({
      name: name('subscriptions_ended_total'),
      help: 'Subscriptions that left the fan-out, by why.',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventsDispatched: new Counter({
      name: name('events_dispatched_total'),
      help: "Events routed through this instance's fan-out.",
      registers,
    }),
    eventsWithoutLocalAudience: new Counter({
      name: name('events_without_local_audience_total'),
      help: 'Events no subscriber on this instance was entitled to.',
      registers,
    }),
    deliveries: new Counter({
      name: name('deliveries_total'),
      help: 'Events handed to or queued for a subscriber.',
      registers,
    }),
    filtered: new Counter({
      name: name('deliveries_filtered_total'),
      help: 'Subscribers the share rule held an event back from.',
      registers,
    }),
    shareRuleDecisions: new Counter({
      name: name('share_rule_decisions_total'),
      help:
        'Share-rule decisions by the clause that made them: location and ' +
        'organization entitle, author and none filter.',
      labelNames: ['clause'] as const,
      registers,
    }),
    queueOverflows: new Counter({
      name: name('subscriber_queue_overflows_total'),
      help: 'Subscribers cut off because their queue was full (slow consumers).',
      registers,
    }),
    deliveryDelay: new Histogram({
      name: name('delivery_delay_seconds'),
      help:
        "Seconds from a template's createdAt until a subscriber's consumer " +
        'took it; one observation per delivery.',
      buckets: DELAY_BUCKETS_SECONDS,
      registers,
    }),

    // Bus.
    busEventsReceived: new Counter({
      name: name('bus_events_received_total'),
      help: 'Events received from the bus (after duplicates were dropped).',
      labelNames: ['bus'] as const,
      registers,
    }),
    busInvalidMessages: new Counter({
      name: name('bus_invalid_messages_total'),
      help: 'Bus messages that were not template events, dropped.',
      labelNames: ['bus'] as const,
      registers,
    }),
    busDuplicates: new Counter({
      name: name('bus_duplicates_dropped_total'),
      help: 'Events received again (at-least-once delivery) and dropped.',
      labelNames: ['bus'] as const,
      registers,
    }),
    busReconnects: new Counter({
      name: name('bus_reconnects_total'),
      help: 'Times the bus lost its connection or subscription and reattached.',
      labelNames: ['bus'] as const,
      registers,
    }),
    busPublishFailures: new Counter({
      name: name('bus_publish_failures_total'),
      help: 'Publishes the bus refused (the outbox relay retries them).',
      labelNames: ['bus'] as const,
      registers,
    }),
    busReceiveDelay: new Histogram({
      name: name('bus_receive_delay_seconds'),
      help:
        "Seconds from a template's createdAt until this instance received " +
        'its event from the bus: how far behind the bus is.',
      buckets: DELAY_BUCKETS_SECONDS,
      registers,
    }),
    busLastEventDelay: new Gauge({
      name: name('bus_last_event_delay_seconds'),
      help: 'bus_receive_delay_seconds of the latest event received.',
      registers,
    }),
    busLastEventReceived: new Gauge({
      name: name('bus_last_event_received_timestamp_seconds'),
      help: 'Unix time the latest event arrived from the bus.',
      registers,
    }),
    // Read at scrape time: an outage shows while it lasts, not only once
    // bus_reconnects_total moves after it.
    busAttached: new Gauge({
      name: name('bus_attached'),
      help:
        '1 while events published now would reach this instance, else 0 ' +
        '(the bus is reconnecting; /readyz answers 503).',
      labelNames: ['bus'] as const,
      registers,
      collect() {
        const bus = sources.bus?.();
        if (bus !== undefined) {
          this.labels(bus.kind).set(bus.isAttached() ? 1 : 0);
        }
      },
    }),
  };
}

/** State read when /metrics is scraped rather than counted as it happens. */
export interface MetricSources {
  /** The bus in use, once there is one. */
  readonly bus?: () => Pick<EventBus, 'kind' | 'isAttached'> | undefined;
}

/** What createMetricInstruments returns. */
export type MetricInstruments = ReturnType<typeof createMetricInstruments>;
