import { readFile } from 'node:fs/promises';

import { register as globalRegistry } from 'prom-client';

import type { DispatchResult } from '../../src/fanout/FanoutMetrics.js';
import { createMetrics } from '../../src/server/metrics/createMetrics.js';
import { parseMetrics } from './scrapeMetrics.js';

const render = async (metrics: ReturnType<typeof createMetrics>) =>
  parseMetrics(await metrics.render());

function dispatch(
  decisions: Partial<DispatchResult['decisions']>,
  overflowed = 0,
): DispatchResult {
  const full = {
    author: 0,
    location: 0,
    organization: 0,
    none: 0,
    ...decisions,
  };
  const entitled = full.location + full.organization;
  const filtered = full.author + full.none;
  return {
    candidates: entitled + filtered,
    delivered: entitled - overflowed,
    filtered,
    decisions: full,
    overflowed,
  };
}

describe('createMetrics', () => {
  it('keeps each instance on a registry of its own, not the global one', async () => {
    const first = createMetrics({ defaultMetrics: false });
    const second = createMetrics({ defaultMetrics: false });
    first.webSocketConnected();
    first.webSocketConnected();
    second.webSocketConnected();

    expect((await render(first)).value('template_feed_open_connections')).toBe(
      2,
    );
    expect((await render(second)).value('template_feed_open_connections')).toBe(
      1,
    );
    expect(
      globalRegistry.getSingleMetric('template_feed_open_connections'),
    ).toBeUndefined();
  });

  it('counts deliveries, filtered subscribers and decisions by clause', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // zowi shares with location-3: zolo (location), zewi and zelo
    // (organisation) are entitled, zowi's own connection is not.
    metrics.eventDispatched(
      dispatch({ author: 1, location: 1, organization: 2 }),
    );
    const text = await render(metrics);

    expect(text.value('template_feed_events_dispatched_total')).toBe(1);
    expect(text.value('template_feed_deliveries_total')).toBe(3);
    expect(text.value('template_feed_deliveries_filtered_total')).toBe(1);
    expect(
      Object.fromEntries(
        ['author', 'location', 'organization', 'none'].map((clause) => [
          clause,
          text.value('template_feed_share_rule_decisions_total', { clause }),
        ]),
      ),
    ).toEqual({ author: 1, location: 1, organization: 2, none: 0 });
    expect(
      text.value('template_feed_events_without_local_audience_total'),
    ).toBe(0);
  });

  it('counts an event as without local audience only when nobody here was entitled', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.eventDispatched(dispatch({}));
    metrics.eventDispatched(dispatch({ author: 2 }));
    // Entitled but cut off for overflowing: an audience all the same.
    metrics.eventDispatched(dispatch({ location: 1 }, 1));
    const text = await render(metrics);

    expect(
      text.value('template_feed_events_without_local_audience_total'),
    ).toBe(2);
    expect(text.value('template_feed_deliveries_total')).toBe(0);
  });

  it('tracks live subscriptions and why they ended', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.subscriberAdded();
    metrics.subscriberAdded();
    metrics.subscriberAdded();
    metrics.subscriberRemoved('unsubscribed');
    metrics.subscriberRemoved('overflow');
    metrics.queueOverflowed();
    const text = await render(metrics);

    expect(text.value('template_feed_active_subscriptions')).toBe(1);
    expect(
      text.value('template_feed_subscriptions_ended_total', {
        reason: 'unsubscribed',
      }),
    ).toBe(1);
    expect(
      text.value('template_feed_subscriptions_ended_total', {
        reason: 'overflow',
      }),
    ).toBe(1);
    expect(
      text.value('template_feed_subscriptions_ended_total', {
        reason: 'shutdown',
      }),
    ).toBe(0);
    expect(text.value('template_feed_subscriber_queue_overflows_total')).toBe(
      1,
    );
  });

  it('starts the series of the bus in use at zero', async () => {
    const metrics = createMetrics({ bus: 'pubsub', defaultMetrics: false });
    const text = await render(metrics);
    for (const name of [
      'template_feed_bus_events_received_total',
      'template_feed_bus_duplicates_dropped_total',
      'template_feed_bus_invalid_messages_total',
      'template_feed_bus_reconnects_total',
      'template_feed_bus_publish_failures_total',
    ]) {
      expect(text.family(name).metrics).toEqual([
        { value: '0', labels: { bus: 'pubsub' } },
      ]);
    }
  });

  it('records how far behind the bus is, never below zero', async () => {
    let nowMillis = 1_700_000_000_000;
    const metrics = createMetrics({
      defaultMetrics: false,
      now: () => nowMillis,
    });
    metrics.eventArrived(new Date(nowMillis - 1_500));
    let text = await render(metrics);
    expect(text.value('template_feed_bus_last_event_delay_seconds')).toBe(1.5);
    expect(
      text.value('template_feed_bus_last_event_received_timestamp_seconds'),
    ).toBe(1_700_000_000);

    // An event stamped by a clock running ahead of ours.
    nowMillis += 10_000;
    metrics.eventArrived(new Date(nowMillis + 2_000));
    text = await render(metrics);
    expect(text.value('template_feed_bus_last_event_delay_seconds')).toBe(0);
    expect(text.histogramCount('template_feed_bus_receive_delay_seconds')).toBe(
      2,
    );
  });

  it('reports whether the bus is attached at each scrape, not after the fact', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(
      (await render(metrics)).family('template_feed_bus_attached').metrics,
    ).toEqual([]);

    let attached = true;
    metrics.watchBus({ kind: 'pubsub', isAttached: () => attached });
    expect(
      (await render(metrics)).family('template_feed_bus_attached').metrics,
    ).toEqual([{ value: '1', labels: { bus: 'pubsub' } }]);

    attached = false;
    expect(
      (await render(metrics)).family('template_feed_bus_attached').metrics,
    ).toEqual([{ value: '0', labels: { bus: 'pubsub' } }]);
  });

  it('labels GraphQL operations by type and a known outcome only', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.graphqlOperationCompleted('mutation', 'success');
    metrics.graphqlOperationCompleted('mutation', 'FORBIDDEN');
    metrics.graphqlOperationCompleted('query', 'SOMETHING_NEW');
    const text = await render(metrics);

    expect(
      text.family('template_feed_graphql_operations_total').metrics,
    ).toEqual([
      { value: '1', labels: { type: 'mutation', outcome: 'success' } },
      { value: '1', labels: { type: 'mutation', outcome: 'FORBIDDEN' } },
      { value: '1', labels: { type: 'query', outcome: 'other' } },
    ]);
  });

  it('adds the default process metrics unless told not to', async () => {
    const withDefaults = await render(createMetrics());
    expect(withDefaults.value('process_resident_memory_bytes')).toBeGreaterThan(
      0,
    );
    const without = await render(createMetrics({ defaultMetrics: false }));
    expect(
      without.families.filter((f) => !f.name.startsWith('template_feed_')),
    ).toEqual([]);
  });

  it('exports the gauge the autoscaler manifest names, as a gauge', async () => {
    const manifest = await readFile(
      new URL('../../k8s/base/horizontalpodautoscaler.yaml', import.meta.url),
      'utf8',
    );
    const named = /prometheus\.googleapis\.com\|(\w+)\|gauge/.exec(manifest);
    expect(named?.[1]).toBe('template_feed_open_connections');
    const text = await render(createMetrics({ defaultMetrics: false }));
    expect(text.family(named![1]!).type).toBe('GAUGE');
  });
});
