import { randomBytes } from 'node:crypto';

import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { addTemplate, type AddedTemplate } from '../support/graphqlHttp.js';
import { sharedEmulatorHost } from '../support/pubsubEmulator.js';
import {
  startInstance,
  stopAllInstances,
  type InstanceLogLine,
  type RunningInstance,
} from '../support/startInstance.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import { scrapeMetrics, type MetricsSnapshot } from './scrapeMetrics.js';

/**
 * Issue 5's operator questions, answered from two real instances' /metrics
 * and logs after the seed scenario runs across them over the Pub/Sub
 * emulator. Pod A holds zowi#1, zolo, zewi and zapa; pod B holds zowi#2,
 * zelo and zuri. zowi shares with location-3 through A, then zapa shares
 * with location-5 through B.
 */

/** A metric name and its value in the text format: a float, NaN or ±Inf. */
const PROMETHEUS_VALUE = / (NaN|[+-]?Inf|[+-]?\d+(\.\d+)?([eE][+-]?\d+)?)$/;
/** Our own metrics are always finite numbers. */
const OUR_VALUE = / [+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

describe('metrics and logs of two instances running the seed scenario', () => {
  const suffix = randomBytes(4).toString('hex');
  const topic = `tf-obs-${suffix}`;
  let database: TestDatabase;
  let podA: RunningInstance;
  let podB: RunningInstance;
  let tokens: Record<string, string>;
  const feeds: FeedClient[] = [];
  let toLocation3: AddedTemplate;
  let toLocation5: AddedTemplate;
  let before: { a: MetricsSnapshot; b: MetricsSnapshot };
  let after: { a: MetricsSnapshot; b: MetricsSnapshot };

  const start = (instanceId: string) =>
    startInstance({
      env: {
        DATABASE_URL: database.url,
        BUS: 'pubsub',
        PUBSUB_EMULATOR_HOST: sharedEmulatorHost(),
        PUBSUB_TOPIC: topic,
        INSTANCE_ID: instanceId,
        LOG_LEVEL: 'debug',
      },
    });

  const feed = async (pod: RunningInstance, userId: string, label = userId) => {
    const client = await connectFeed(pod.wsUrl, tokens[userId], { label });
    feeds.push(client);
    return client;
  };

  const dispatchedCount = (pod: RunningInstance) =>
    pod.logs.filter((line) => line.message === 'event dispatched').length;

  beforeAll(async () => {
    database = await createTestDatabase('tf_obs');
    // One after the other: both migrate the same fresh database.
    podA = await start(`obs-a-${suffix}`);
    podB = await start(`obs-b-${suffix}`);
    tokens = await seedUserTokens();

    await feed(podA, 'zowi', 'zowi#1');
    const zolo = await feed(podA, 'zolo');
    const zewi = await feed(podA, 'zewi');
    await feed(podA, 'zapa');
    await feed(podB, 'zowi', 'zowi#2');
    const zelo = await feed(podB, 'zelo');
    const zuri = await feed(podB, 'zuri');
    await Promise.all(feeds.map((client) => client.barrier()));

    before = {
      a: await scrapeMetrics(podA.baseUrl),
      b: await scrapeMetrics(podB.baseUrl),
    };

    toLocation3 = await addTemplate(podA.graphqlUrl, tokens.zowi!, {
      name: 'Opening checklist',
      shareLocationIds: ['location-3'],
    });
    await Promise.all(
      [zolo, zewi, zelo].map((client) => client.waitForCount(1)),
    );
    toLocation5 = await addTemplate(podB.graphqlUrl, tokens.zapa!, {
      name: 'Closing checklist',
      shareLocationIds: ['location-5'],
    });
    await zuri.waitForCount(1);

    // Pod A delivers nothing of the second event, so nothing a client sees
    // says A is done with it; its dispatch line does (logged after the
    // fan-out has counted).
    await waitUntil(
      () => dispatchedCount(podA) === 2 && dispatchedCount(podB) === 2,
      'both pods dispatched both events',
      20_000,
      () => [dispatchedCount(podA), dispatchedCount(podB)],
    );

    after = {
      a: await scrapeMetrics(podA.baseUrl),
      b: await scrapeMetrics(podB.baseUrl),
    };
  });

  afterAll(async () => {
    await Promise.all(feeds.map((client) => client.dispose()));
    await stopAllInstances();
    await database?.drop();
  });

  /** How much `name` (counter or gauge) moved on a pod during the scenario. */
  const delta = (
    pod: 'a' | 'b',
    name: string,
    labels?: Readonly<Record<string, string>>,
  ) => after[pod].value(name, labels) - before[pod].value(name, labels);

  const histogramDelta = (pod: 'a' | 'b', name: string) =>
    after[pod].histogramCount(name) - before[pod].histogramCount(name);

  it('delivered the seed scenario to exactly the entitled users', () => {
    const received = Object.fromEntries(
      feeds.map((client) => [client.label, client.received.map((t) => t.id)]),
    );
    expect(received).toEqual({
      'zowi#1': [],
      zolo: [toLocation3.id],
      zewi: [toLocation3.id],
      zapa: [],
      'zowi#2': [],
      zelo: [toLocation3.id],
      zuri: [toLocation5.id],
    });
  });

  it('counts each event received from the bus once on each pod', () => {
    for (const pod of ['a', 'b'] as const) {
      expect(
        delta(pod, 'template_feed_bus_events_received_total', {
          bus: 'pubsub',
        }),
      ).toBe(2);
      expect(delta(pod, 'template_feed_events_dispatched_total')).toBe(2);
      expect(
        histogramDelta(pod, 'template_feed_bus_receive_delay_seconds'),
      ).toBe(2);
      expect(delta(pod, 'template_feed_bus_duplicates_dropped_total')).toBe(0);
      expect(delta(pod, 'template_feed_bus_invalid_messages_total')).toBe(0);
      expect(delta(pod, 'template_feed_bus_reconnects_total')).toBe(0);
      expect(delta(pod, 'template_feed_bus_publish_failures_total')).toBe(0);
    }
  });

  it('counts deliveries where the entitled clients sit, and what was filtered', () => {
    // A: zolo and zewi get the location-3 template; zowi#1 (author) and,
    // for the location-5 one, zapa (author) are filtered.
    expect(delta('a', 'template_feed_deliveries_total')).toBe(2);
    expect(delta('a', 'template_feed_deliveries_filtered_total')).toBe(2);
    // B: zelo gets the location-3 template and zuri the location-5 one;
    // zowi#2 (author) is filtered.
    expect(delta('b', 'template_feed_deliveries_total')).toBe(2);
    expect(delta('b', 'template_feed_deliveries_filtered_total')).toBe(1);
    // 3 deliveries of the location-3 template, 1 of the location-5 one.
    expect(
      delta('a', 'template_feed_deliveries_total') +
        delta('b', 'template_feed_deliveries_total'),
    ).toBe(4);
  });

  it('counts share-rule decisions by the clause that made them', () => {
    const decisions = (pod: 'a' | 'b') =>
      Object.fromEntries(
        ['author', 'location', 'organization', 'none'].map((clause) => [
          clause,
          delta(pod, 'template_feed_share_rule_decisions_total', { clause }),
        ]),
      );
    expect(decisions('a')).toEqual({
      author: 2,
      location: 1,
      organization: 1,
      none: 0,
    });
    expect(decisions('b')).toEqual({
      author: 1,
      location: 1,
      organization: 1,
      none: 0,
    });
  });

  it('counts the event no client on a pod was entitled to', () => {
    // Nobody on A may see the location-5 template; B has zuri for it.
    expect(
      delta('a', 'template_feed_events_without_local_audience_total'),
    ).toBe(1);
    expect(
      delta('b', 'template_feed_events_without_local_audience_total'),
    ).toBe(0);
    for (const pod of ['a', 'b'] as const) {
      expect(delta(pod, 'template_feed_subscriber_queue_overflows_total')).toBe(
        0,
      );
    }
  });

  it('observes one delivery delay per delivery', () => {
    for (const pod of ['a', 'b'] as const) {
      expect(histogramDelta(pod, 'template_feed_delivery_delay_seconds')).toBe(
        delta(pod, 'template_feed_deliveries_total'),
      );
    }
  });

  it('shows the clients and subscriptions open on each pod', () => {
    expect(after.a.value('template_feed_open_connections')).toBe(4);
    expect(after.a.value('template_feed_active_subscriptions')).toBe(4);
    expect(after.b.value('template_feed_open_connections')).toBe(3);
    expect(after.b.value('template_feed_active_subscriptions')).toBe(3);
  });

  it('shows each pod attached to its Pub/Sub subscription', () => {
    for (const pod of ['a', 'b'] as const) {
      expect(after[pod].family('template_feed_bus_attached').metrics).toEqual([
        { value: '1', labels: { bus: 'pubsub' } },
      ]);
    }
  });

  it('counts the one mutation each pod ran, and nothing else', () => {
    for (const pod of ['a', 'b'] as const) {
      expect(
        delta(pod, 'template_feed_graphql_operations_total', {
          type: 'mutation',
          outcome: 'success',
        }),
      ).toBe(1);
      expect(delta(pod, 'template_feed_graphql_operations_total')).toBe(1);
    }
  });

  it('counts every subscription when it started', () => {
    // Before the first scrape: 4 subscriptions on A, 3 on B.
    expect(
      before.a.value('template_feed_graphql_operations_total', {
        type: 'subscription',
        outcome: 'success',
      }),
    ).toBe(4);
    expect(
      before.b.value('template_feed_graphql_operations_total', {
        type: 'subscription',
        outcome: 'success',
      }),
    ).toBe(3);
  });

  it('serves /metrics as Prometheus text a real parser accepts', () => {
    const { contentType, families } = after.a;
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(new Set(families.map((f) => f.name)).size).toBe(families.length);
    for (const f of families) {
      for (const sample of f.metrics) {
        const ours = f.name.startsWith('template_feed_');
        const values = (
          'value' in sample
            ? [sample.value]
            : [sample.count, sample.sum, ...Object.values(sample.buckets)]
        ).filter(
          // The parser drops count and sum of a labelled histogram (node's
          // nodejs_gc_duration_seconds{kind}); ours have no labels, so for
          // ours every value must be there.
          (value) => ours || value !== undefined,
        );
        for (const value of values) {
          // The text format allows NaN and ±Inf (node's event-loop stddev is
          // NaN before its first sample); our own metrics are always numbers.
          expect(`${f.name} ${String(value)}`).toMatch(
            ours ? OUR_VALUE : PROMETHEUS_VALUE,
          );
        }
        // Low cardinality: no label ever names a user, event or connection.
        for (const label of Object.keys(sample.labels ?? {})) {
          expect(label).not.toMatch(/user|event|connection/i);
        }
      }
    }
    expect(
      Object.fromEntries(
        families
          .filter((f) => f.name.startsWith('template_feed_'))
          .map((f) => [f.name, f.type]),
      ),
    ).toEqual(EXPECTED_METRIC_TYPES);
    // prom-client's default process and Node.js metrics.
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(after.a.family(name).metrics.length).toBeGreaterThan(0);
    }
  });

  it("writes every line as JSON with a severity and the pod's instance id", () => {
    for (const pod of [podA, podB]) {
      expect(pod.logs.length).toBeGreaterThan(0);
      for (const line of pod.logs) {
        expect({
          severity: SEVERITIES.includes(String(line.severity)),
          instanceId: line.instanceId,
          message: typeof line.message,
        }).toEqual({
          severity: true,
          instanceId: pod.label,
          message: 'string',
        });
      }
      expect(pod.stderr).toBe('');
    }
  });

  it('logs each share-rule decision with the clause that decided it', () => {
    const eventA = eventIdOf(podA, toLocation3.id);
    const eventB = eventIdOf(podB, toLocation5.id);
    const decisions = (eventId: string) =>
      [...podA.logs, ...podB.logs]
        .filter(
          (line) =>
            line.message === 'share rule decision' && line.eventId === eventId,
        )
        .map((line) => ({
          instanceId: line.instanceId,
          userId: line.userId,
          delivered: line.delivered,
          clause: line.clause,
          severity: line.severity,
        }))
        .sort(byInstanceThenUser);

    expect(decisions(eventA)).toEqual(
      [
        {
          instanceId: podA.label,
          userId: 'zewi',
          delivered: true,
          clause: 'organization',
        },
        {
          instanceId: podA.label,
          userId: 'zolo',
          delivered: true,
          clause: 'location',
        },
        {
          instanceId: podA.label,
          userId: 'zowi',
          delivered: false,
          clause: 'author',
        },
        {
          instanceId: podB.label,
          userId: 'zelo',
          delivered: true,
          clause: 'organization',
        },
        {
          instanceId: podB.label,
          userId: 'zowi',
          delivered: false,
          clause: 'author',
        },
      ].map((line) => ({ ...line, severity: 'DEBUG' })),
    );
    expect(decisions(eventB)).toEqual(
      [
        {
          instanceId: podA.label,
          userId: 'zapa',
          delivered: false,
          clause: 'author',
        },
        {
          instanceId: podB.label,
          userId: 'zuri',
          delivered: true,
          clause: 'location',
        },
      ].map((line) => ({ ...line, severity: 'DEBUG' })),
    );
  });

  it('never logs a token', () => {
    const text = JSON.stringify([...podA.logs, ...podB.logs]) + podA.stderr;
    for (const token of Object.values(tokens)) {
      expect(text).not.toContain(token);
      // Nor the signature alone, which is the secret part.
      expect(text).not.toContain(token.split('.')[2]);
    }
    expect(text).not.toMatch(/Bearer/);
  });

  it('gives each WebSocket connection a logger with its id and user', () => {
    const connected = (pod: RunningInstance) =>
      pod.logs
        .filter((line) => line.message === 'websocket connected')
        .map((line) => line.userId)
        .sort();
    expect(connected(podA)).toEqual(['zapa', 'zewi', 'zolo', 'zowi']);
    expect(connected(podB)).toEqual(['zelo', 'zowi', 'zuri']);
    const ids = [...podA.logs, ...podB.logs]
      .filter((line) => line.message === 'websocket connected')
      .map((line) => line.connectionId);
    expect(new Set(ids).size).toBe(7);
  });

  it('writes one access line per /graphql request and none for probes', () => {
    for (const pod of [podA, podB]) {
      const access = pod.logs.filter(
        (line) => line.message === 'graphql request',
      );
      // startInstance polled /readyz and the test scraped /metrics; only
      // the one mutation is a /graphql request.
      expect(
        access.map(({ durationMillis, ...line }) => ({
          ...line,
          durationMillis: typeof durationMillis,
        })),
      ).toEqual([
        expect.objectContaining({
          severity: 'INFO',
          module: 'http',
          method: 'POST',
          operationName: 'AddTemplate',
          operationType: 'mutation',
          outcome: 'success',
          status: 200,
          durationMillis: 'number',
        }),
      ]);
    }
  });

  it('logs its start with bus, topic, subscription and port at info', () => {
    for (const pod of [podA, podB]) {
      const subscriptionName = `${topic}-${pod.label}`;
      expect(
        pod.logs.find((line) => line.message === 'template-feed started'),
      ).toMatchObject({
        severity: 'INFO',
        port: pod.port,
        bus: 'pubsub',
        topic,
        subscriptionName,
        instanceId: pod.label,
      });
      expect(
        pod.logs.find((line) => line.message === 'pubsub subscription created'),
      ).toMatchObject({ severity: 'INFO', subscriptionName });
    }
  });

  it('shows open connections and subscriptions fall to zero as clients leave', async () => {
    const ended = async (pod: RunningInstance) =>
      (await scrapeMetrics(pod.baseUrl)).value(
        'template_feed_subscriptions_ended_total',
        { reason: 'unsubscribed' },
      );
    const endedBefore = { a: await ended(podA), b: await ended(podB) };
    await Promise.all(feeds.splice(0).map((client) => client.dispose()));

    for (const pod of [podA, podB]) {
      await waitUntil(async () => {
        const now = await scrapeMetrics(pod.baseUrl);
        return (
          now.value('template_feed_open_connections') === 0 &&
          now.value('template_feed_active_subscriptions') === 0
        );
      }, `${pod.label} saw every client leave`);
    }
    expect((await ended(podA)) - endedBefore.a).toBe(4);
    expect((await ended(podB)) - endedBefore.b).toBe(3);
  });

  it('logs draining, the subscription deleted and its stop at info', async () => {
    expect(await podB.stop()).toEqual({ code: 0, signal: null });
    const find = (message: string) =>
      podB.logs.find((line) => line.message === message);
    expect(find('server draining')).toMatchObject({ severity: 'INFO' });
    expect(find('pubsub subscription deleted')).toMatchObject({
      severity: 'INFO',
      subscriptionName: `${topic}-${podB.label}`,
    });
    expect(find('template-feed stopped')).toMatchObject({ severity: 'INFO' });
  });
});

/** Cloud Logging's severities, as createLogger maps pino's levels. */
const SEVERITIES = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

/** Our metrics and their Prometheus types (docs/observability.md). */
const EXPECTED_METRIC_TYPES = {
  template_feed_open_connections: 'GAUGE',
  template_feed_authentication_failures_total: 'COUNTER',
  template_feed_graphql_operations_total: 'COUNTER',
  template_feed_active_subscriptions: 'GAUGE',
  template_feed_subscriptions_ended_total: 'COUNTER',
  template_feed_events_dispatched_total: 'COUNTER',
  template_feed_events_without_local_audience_total: 'COUNTER',
  template_feed_deliveries_total: 'COUNTER',
  template_feed_deliveries_filtered_total: 'COUNTER',
  template_feed_share_rule_decisions_total: 'COUNTER',
  template_feed_subscriber_queue_overflows_total: 'COUNTER',
  template_feed_delivery_delay_seconds: 'HISTOGRAM',
  template_feed_bus_events_received_total: 'COUNTER',
  template_feed_bus_invalid_messages_total: 'COUNTER',
  template_feed_bus_duplicates_dropped_total: 'COUNTER',
  template_feed_bus_reconnects_total: 'COUNTER',
  template_feed_bus_publish_failures_total: 'COUNTER',
  template_feed_bus_receive_delay_seconds: 'HISTOGRAM',
  template_feed_bus_last_event_delay_seconds: 'GAUGE',
  template_feed_bus_last_event_received_timestamp_seconds: 'GAUGE',
  template_feed_bus_attached: 'GAUGE',
};

/** The event id the publishing pod logged for `templateId` (at debug). */
function eventIdOf(pod: RunningInstance, templateId: string): string {
  const line = pod.logs.find(
    (candidate) =>
      candidate.message === 'template added' &&
      candidate.templateId === templateId,
  );
  if (typeof line?.eventId !== 'string') {
    throw new Error(`${pod.label} logged no event for template ${templateId}`);
  }
  return line.eventId;
}

function byInstanceThenUser(
  left: Pick<InstanceLogLine, 'instanceId' | 'userId'>,
  right: Pick<InstanceLogLine, 'instanceId' | 'userId'>,
): number {
  return (
    String(left.instanceId).localeCompare(String(right.instanceId)) ||
    String(left.userId).localeCompare(String(right.userId))
  );
}
