import { randomUUID } from 'node:crypto';

import { jest } from '@jest/globals';
import pg from 'pg';

import {
  PostgresBus,
  type PostgresBusOptions,
} from '../../src/bus/PostgresBus.js';
import { encodeTemplateEvent } from '../../src/domain/templateEventCodec.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import { captureLogs, type LogLine } from '../support/captureLogs.js';
import { CountingBusMetrics } from '../support/CountingBusMetrics.js';
import {
  ADMIN_DATABASE_URL,
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { waitUntil } from '../support/waitUntil.js';

/** One instance ("pod"): its bus, what its handler got, what it logged. */
interface Pod {
  readonly bus: PostgresBus;
  readonly received: TemplateEvent[];
  readonly logs: LogLine[];
  readonly metrics: CountingBusMetrics;
  receivedIds(): string[];
  logged(message: string): LogLine[];
}

const FAST_RECONNECT = {
  reconnectInitialDelayMillis: 20,
  reconnectMaxDelayMillis: 200,
};

/**
 * An event that is not in the store, for writes that bypass it (the slow
 * transaction) and for ids the store never heard of.
 */
function makeEvent(): TemplateEvent {
  return {
    id: randomUUID(),
    template: {
      id: randomUUID(),
      name: 'Written by hand',
      shareLocationIds: ['location-3'],
      createdById: 'zowi',
      createdAt: new Date(),
    },
    author: {
      id: 'zowi',
      name: 'ZOWI',
      organizationId: 'org-1',
      locationId: 'location-1',
    },
    shareOrganizationIds: ['org-1'],
  };
}

/** waitUntil, given 15 s by default: a reconnect takes a few seconds. */
function waitFor(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMillis = 15_000,
): Promise<void> {
  return waitUntil(condition, description, timeoutMillis);
}

describe('PostgresBus', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  /** On the test database: NOTIFY and pg_stat_activity. */
  let sql: pg.Client;
  /** On the server's admin database: a database cannot lock itself out. */
  let admin: pg.Client;
  const pods: Pod[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('tf_pgbus');
    store = await PostgresStore.connect({
      url: database.url,
      logger: captureLogs('silent').logger,
    });
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
  });

  afterEach(async () => {
    // Whatever a test did, connections are allowed again for the next one.
    await admin.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    await Promise.all(pods.splice(0).map((pod) => pod.bus.close()));
    // Backends exit just after their client hangs up; the next test counts
    // listeners, so it waits for them.
    await waitFor(
      'closed listeners exit',
      async () => (await listenerPids()).length === 0,
    );
  });

  afterAll(async () => {
    await sql.end();
    await admin.end();
    await store.close();
    await database.drop();
  });

  async function startPod(
    options: Partial<PostgresBusOptions> = {},
  ): Promise<Pod> {
    const { logger, lines: logs, withMessage } = captureLogs('debug');
    const received: TemplateEvent[] = [];
    const metrics = new CountingBusMetrics();
    const bus = new PostgresBus({
      connectionString: database.url,
      events: store,
      logger,
      metrics,
      ...options,
    });
    const pod: Pod = {
      bus,
      received,
      logs,
      metrics,
      receivedIds: () => received.map((event) => event.id),
      logged: withMessage,
    };
    pods.push(pod);
    await bus.start((event) => received.push(event));
    return pod;
  }

  let templateCount = 0;

  /** zowi adds a template: the store writes it and its event. */
  async function addTemplate(
    shareLocationIds: readonly string[] = ['location-3'],
    name = `Template ${++templateCount}`,
  ): Promise<TemplateEvent> {
    return store.addTemplate('zowi', { name, shareLocationIds });
  }

  /** Adds a template and publishes its event through `via`, as addTemplate does. */
  async function addAndPublish(
    via: PostgresBus,
    shareLocationIds?: readonly string[],
    name?: string,
  ): Promise<TemplateEvent> {
    const event = await addTemplate(shareLocationIds, name);
    await via.publish(event);
    return event;
  }

  /** Backend pids of this database's listening connections. */
  async function listenerPids(): Promise<number[]> {
    const { rows } = await sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE datname = $1 AND application_name = 'template-feed-bus'`,
      [database.name],
    );
    return rows.map((row) => row.pid);
  }

  /**
   * Kills the listening connection of `pod` (pid `pid`) while new
   * connections are refused, so that it stays away until `reopen()`.
   */
  async function cutOff(pod: Pod, pid: number): Promise<() => Promise<void>> {
    await admin.query(
      `ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`,
    );
    await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor('the bus detaches', () => !pod.bus.isAttached());
    await waitFor(
      'a reconnect attempt fails',
      () => pod.logged('postgres bus reconnect failed').length > 0,
    );
    return async () => {
      await admin.query(
        `ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`,
      );
      await waitFor('the bus attaches again', () => pod.bus.isAttached());
    };
  }

  it('delivers an event published on one pod to both pods exactly once, payload read from the store', async () => {
    // 97 more Northwind locations with long ids: with the seed's three, a
    // template may share with 100, and its event outgrows a NOTIFY payload.
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO locations (id, name, organization_id)
       SELECT 'location-wide-' || i || '-' || repeat('x', 80), 'Wide ' || i,
              'org-1'
       FROM generate_series(1, 97) AS i
       RETURNING id`,
    );
    const a = await startPod();
    const b = await startPod();

    const large = await addAndPublish(
      a.bus,
      ['location-1', 'location-2', 'location-3', ...rows.map((row) => row.id)],
      'N'.repeat(200),
    );
    const next = await addAndPublish(a.bus);
    await waitFor('both pods receive both events', () =>
      [a, b].every((pod) => pod.received.length >= 2),
    );

    expect(large.template.shareLocationIds).toHaveLength(100);
    expect(Buffer.byteLength(encodeTemplateEvent(large))).toBeGreaterThan(
      8_000,
    );
    for (const pod of [a, b]) {
      expect(pod.received).toEqual([large, next]);
    }
    expect(a.bus.kind).toBe('postgres');
    expect(a.bus.isAttached()).toBe(true);
  });

  it('hands an event id notified twice to the handler once', async () => {
    const a = await startPod();

    const event = await addAndPublish(a.bus);
    await a.bus.publish(event);
    const sentinel = await addAndPublish(a.bus);
    await waitFor('the sentinel arrives', () =>
      a.receivedIds().includes(sentinel.id),
    );

    expect(a.receivedIds()).toEqual([event.id, sentinel.id]);
    expect(a.logged('duplicate event dropped')).toEqual([
      expect.objectContaining({ eventId: event.id }),
    ]);
    expect(a.metrics.countsFor('postgres')).toMatchObject({
      eventReceived: 2,
      duplicateDropped: 1,
    });
    expect([...a.metrics.kinds]).toEqual(['postgres']);
  });

  it('delivers a late notification for an event from before its start, but never replays history in a catch-up', async () => {
    const history = [await addTemplate(), await addTemplate()];
    const a = await startPod(FAST_RECONNECT);
    const [pidOfA] = await listenerPids();

    // As the outbox relay does for an event whose publish was lost.
    const [, republished] = history;
    if (republished === undefined) throw new Error('no history');
    await a.bus.publish(republished);
    await waitFor('the republished event arrives', () =>
      a.receivedIds().includes(republished.id),
    );
    const reopen = await cutOff(a, pidOfA ?? 0);
    await reopen();
    const sentinel = await addAndPublish(a.bus);
    await waitFor('the sentinel arrives', () =>
      a.receivedIds().includes(sentinel.id),
    );

    expect(a.received).toEqual([republished, sentinel]);
    expect(a.logged('postgres bus caught up')).toEqual([
      expect.objectContaining({ delivered: 0 }),
    ]);
  });

  it('reconnects after its backend is terminated and delivers what was published meanwhile exactly once', async () => {
    const a = await startPod(FAST_RECONNECT);
    const [pidOfA] = await listenerPids();
    const b = await startPod();
    const before = await addAndPublish(b.bus);
    await waitFor('both pods receive the first event', () =>
      [a, b].every((pod) => pod.receivedIds().includes(before.id)),
    );

    const reopen = await cutOff(a, pidOfA ?? 0);
    expect(a.bus.isAttached()).toBe(false);
    const whileAway = [await addAndPublish(b.bus), await addAndPublish(b.bus)];
    await waitFor('pod b receives what was published meanwhile', () =>
      whileAway.every((event) => b.receivedIds().includes(event.id)),
    );
    expect(a.receivedIds()).toEqual([before.id]);
    await reopen();

    const after = await addAndPublish(a.bus);
    await waitFor('both pods receive the event after reconnecting', () =>
      [a, b].every((pod) => pod.receivedIds().includes(after.id)),
    );

    expect(a.received).toEqual([before, ...whileAway, after]);
    expect(a.logged('postgres bus connection lost; reconnecting')).toEqual([
      expect.objectContaining({ level: 'warn' }),
    ]);
    expect(a.logged('postgres bus caught up')).toEqual([
      expect.objectContaining({ delivered: 2 }),
    ]);
    // Re-reading the window is expected, not a duplicate delivery.
    expect(a.metrics.countsFor('postgres')).toEqual({
      eventReceived: 4,
      invalidMessageDropped: 0,
      duplicateDropped: 0,
      reconnected: 1,
      publishFailed: 0,
    });
    expect(b.received).toEqual(a.received);
  });

  it('catches up on an event whose transaction committed after a later one, while it was away', async () => {
    const a = await startPod(FAST_RECONNECT);
    const [pidOfA] = await listenerPids();

    // A writer that takes its sequence first and commits last. (The store
    // itself serialises its event inserts; this one bypasses it.)
    const slowWriter = new pg.Client({ connectionString: database.url });
    await slowWriter.connect();
    try {
      const slow = makeEvent();
      await slowWriter.query('BEGIN');
      await slowWriter.query(
        'INSERT INTO template_events (id, payload) VALUES ($1, $2::jsonb)',
        [slow.id, encodeTemplateEvent(slow)],
      );
      const fast = await addAndPublish(a.bus);
      await waitFor('the later event arrives', () =>
        a.receivedIds().includes(fast.id),
      );

      const reopen = await cutOff(a, pidOfA ?? 0);
      await slowWriter.query('COMMIT');
      await slowWriter.query('SELECT pg_notify($1, $2)', [
        'template_events',
        slow.id,
      ]);
      const [slowStored, fastStored] = await Promise.all([
        store.getEvent(slow.id),
        store.getEvent(fast.id),
      ]);
      expect(slowStored?.sequence).toBeLessThan(fastStored?.sequence ?? 0);
      await reopen();

      const sentinel = await addAndPublish(a.bus);
      await waitFor('the sentinel arrives', () =>
        a.receivedIds().includes(sentinel.id),
      );
      expect(a.received).toEqual([fast, slow, sentinel]);
    } finally {
      await slowWriter.end();
    }
  });

  it('drops a notification for an unknown or malformed id with a warning and delivers the next event', async () => {
    const a = await startPod();
    const unknownId = randomUUID();
    await sql.query('SELECT pg_notify($1, $2)', ['template_events', unknownId]);
    await sql.query('SELECT pg_notify($1, $2)', [
      'template_events',
      'not-an-event-id',
    ]);
    const next = await addAndPublish(a.bus);
    await waitFor('the next event arrives', () =>
      a.receivedIds().includes(next.id),
    );

    expect(a.receivedIds()).toEqual([next.id]);
    expect(
      a.logged('postgres bus dropped a notification for an unknown event'),
    ).toEqual([expect.objectContaining({ level: 'warn', eventId: unknownId })]);
    expect(
      a.logged('postgres bus dropped a notification that is not an event id'),
    ).toEqual([
      expect.objectContaining({ level: 'warn', eventId: 'not-an-event-id' }),
    ]);
    expect(a.metrics.countsFor('postgres')).toMatchObject({
      eventReceived: 1,
      invalidMessageDropped: 2,
    });
  });

  it('close() leaves no listening connection, and publish() then rejects', async () => {
    const a = await startPod();
    expect(await listenerPids()).toHaveLength(1);

    await a.bus.close();

    await waitFor(
      'the listening backend exits',
      async () => (await listenerPids()).length === 0,
    );
    expect(a.bus.isAttached()).toBe(false);
    await expect(a.bus.publish(makeEvent())).rejects.toThrow('closed');
    expect(a.metrics.count('publishFailed', 'postgres')).toBe(1);
    await expect(a.bus.close()).resolves.toBeUndefined();
  });

  it('close() while reconnecting cancels the reconnect timer', async () => {
    // A delay no other timer here uses (the pools' idle timers run 30 s),
    // so the spies can tell the reconnect timer apart.
    const reconnectDelayMillis = 100_000;
    const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = jest.spyOn(globalThis, 'clearTimeout');
    try {
      const a = await startPod({
        reconnectInitialDelayMillis: reconnectDelayMillis,
        reconnectMaxDelayMillis: reconnectDelayMillis,
      });
      const [pidOfA] = await listenerPids();
      await sql.query('SELECT pg_terminate_backend($1)', [pidOfA]);
      await waitFor('the bus detaches', () => !a.bus.isAttached());
      // Jitter keeps at least half the delay.
      const reconnectTimers = setTimeoutSpy.mock.calls.flatMap(
        ([, delayMillis], index) =>
          (delayMillis ?? 0) >= reconnectDelayMillis / 2
            ? [setTimeoutSpy.mock.results[index]?.value]
            : [],
      );
      expect(reconnectTimers).toHaveLength(1);

      await a.bus.close();

      expect(clearTimeoutSpy).toHaveBeenCalledWith(reconnectTimers[0]);
      expect(await listenerPids()).toEqual([]);
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
    }
  });
});
