import type pg from 'pg';

import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import { decodeTemplateEvent } from '../../src/domain/templateEventCodec.js';
import { PostgresStore } from '../../src/store/PostgresStore.js';
import {
  createTestDatabase,
  openTestPool,
  type TestDatabase,
} from '../support/testDatabase.js';
import { ManualClock } from './ManualClock.js';
import { describeStoreContract, rejectionOf } from './storeContract.js';
import { captureLogs } from '../support/captureLogs.js';

let database: TestDatabase;
let admin: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('tf_store');
  admin = openTestPool(database.url, 2);
});

afterAll(async () => {
  await admin.end();
  await database.drop();
});

async function emptyTemplateTables(): Promise<void> {
  await admin.query(
    'TRUNCATE templates, template_share_locations, template_events RESTART IDENTITY',
  );
}

async function countRows(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'templates',
    'template_share_locations',
    'template_events',
  ]) {
    const { rows } = await admin.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${table}`,
    );
    counts[table] = Number(rows[0]?.count);
  }
  return counts;
}

async function connect(clock = new ManualClock()): Promise<PostgresStore> {
  return PostgresStore.connect({
    url: database.url,
    poolSize: 4,
    logger: captureLogs('warn').logger,
    clock: clock.now,
  });
}

describeStoreContract('PostgresStore', async (clock) => {
  const store = await connect(clock);
  await emptyTemplateTables();
  return { store, dispose: () => store.close() };
});

describe('PostgresStore', () => {
  let store: PostgresStore;

  beforeEach(async () => {
    store = await connect();
    await emptyTemplateTables();
  });

  afterEach(async () => {
    await store.close();
  });

  it('writes the template, its share rows and its event together', async () => {
    const event = await store.addTemplate('zowi', {
      name: 'Closing checklist',
      shareLocationIds: ['location-3', 'location-2'],
    });

    expect(await countRows()).toEqual({
      templates: 1,
      template_share_locations: 2,
      template_events: 1,
    });
    const shares = await admin.query(
      `SELECT location_id, organization_id, position
       FROM template_share_locations ORDER BY position`,
    );
    expect(shares.rows).toEqual([
      { location_id: 'location-3', organization_id: 'org-1', position: 1 },
      { location_id: 'location-2', organization_id: 'org-1', position: 2 },
    ]);
    const events = await admin.query<{
      id: string;
      payload: string;
      published_at: Date | null;
    }>(
      'SELECT id, payload::text AS payload, published_at FROM template_events',
    );
    expect(events.rows[0]?.id).toBe(event.id);
    expect(events.rows[0]?.published_at).toBeNull();
    expect(decodeTemplateEvent(events.rows[0]?.payload ?? '')).toEqual(event);
  });

  it.each([
    [
      'an unknown location',
      'zowi',
      ['location-1', 'location-9'],
      ErrorCode.BAD_USER_INPUT,
    ],
    [
      'a location outside reach',
      'zowi',
      ['location-1', 'location-5'],
      ErrorCode.FORBIDDEN,
    ],
    ['an unknown author', 'ghost', ['location-1'], ErrorCode.UNAUTHENTICATED],
  ])(
    'writes no row at all for %s',
    async (_case, authorId, shareLocationIds, code) => {
      const err = await rejectionOf(
        store.addTemplate(authorId, { name: 'rejected', shareLocationIds }),
      );

      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe(code);
      expect(await countRows()).toEqual({
        templates: 0,
        template_share_locations: 0,
        template_events: 0,
      });
    },
  );

  it('rolls the template back when its event cannot be written', async () => {
    await admin.query(`
      CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'event refused by the test'; END $$;
      CREATE TRIGGER refuse_event BEFORE INSERT ON template_events
        FOR EACH ROW EXECUTE FUNCTION refuse_event();`);
    try {
      await expect(
        store.addTemplate('zowi', {
          name: 'half written',
          shareLocationIds: ['location-1'],
        }),
      ).rejects.toThrow('event refused by the test');
      expect(await countRows()).toEqual({
        templates: 0,
        template_share_locations: 0,
        template_events: 0,
      });
    } finally {
      await admin.query(`
        DROP TRIGGER refuse_event ON template_events;
        DROP FUNCTION refuse_event();`);
    }
  });

  it('gives concurrent writes distinct, gap-free sequences', async () => {
    const events = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.addTemplate('zowi', {
          name: `concurrent ${index}`,
          shareLocationIds: ['location-1'],
        }),
      ),
    );

    const stored = await store.listEventsAfter(0, 100);
    expect(stored.map((s) => s.sequence)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    expect(new Set(stored.map((s) => s.event.id))).toEqual(
      new Set(events.map((event) => event.id)),
    );
  });

  it('marks an event published with the time it was confirmed', async () => {
    const event = await store.addTemplate('zowi', {
      name: 'n',
      shareLocationIds: ['location-1'],
    });
    await store.markEventPublished(event.id);

    const { rows } = await admin.query<{ published_at: Date | null }>(
      'SELECT published_at FROM template_events WHERE id = $1',
      [event.id],
    );
    expect(rows[0]?.published_at).toBeInstanceOf(Date);
  });

  it('skips and logs a stored event that no longer decodes, returning the rest', async () => {
    const { logger, lines } = captureLogs('warn');
    const logged = await PostgresStore.connect({ url: database.url, logger });
    try {
      const first = await logged.addTemplate('zowi', {
        name: 'first',
        shareLocationIds: ['location-1'],
      });
      await admin.query(
        `INSERT INTO template_events (id, payload)
         VALUES (gen_random_uuid(), '{"v": 99}'::jsonb)`,
      );
      const last = await logged.addTemplate('zowi', {
        name: 'last',
        shareLocationIds: ['location-1'],
      });

      const listed = await logged.listEventsAfter(0, 10);
      const unpublished = await logged.listUnpublishedEvents(
        new Date(Date.now() + 60_000),
        10,
      );

      expect(listed.map((stored) => stored.event.id)).toEqual([
        first.id,
        last.id,
      ]);
      expect(unpublished.map((stored) => stored.event.id)).toEqual([
        first.id,
        last.id,
      ]);
      expect(
        lines.filter(
          (line) => line.message === 'stored event does not decode; skipped',
        ),
      ).toHaveLength(2);
    } finally {
      await logged.close();
    }
  });

  it('answers the visibility queries from indexes, never by scanning', async () => {
    const client = await admin.connect();
    try {
      // With sequential scans priced out, a plan still containing one would
      // mean no index serves that part of the query.
      await client.query('SET enable_seqscan = off');
      const explain = async (sql: string, values: unknown[]) => {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${sql}`,
          values,
        );
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      };
      const { VISIBLE_TEMPLATES_SQL, VISIBLE_TEMPLATE_SQL } =
        await import('../../src/store/templateSql.js');

      const list = await explain(VISIBLE_TEMPLATES_SQL, [
        'zowi',
        'location-1',
        'org-1',
        100,
      ]);
      const one = await explain(VISIBLE_TEMPLATE_SQL, [
        'zowi',
        'location-1',
        'org-1',
        '00000000-0000-4000-8000-000000000000',
      ]);
      for (const plan of [list, one]) {
        expect(plan).not.toMatch(/Seq Scan/);
      }
      expect(list).toMatch(/template_share_locations_organization_idx/);
      expect(list).toMatch(/template_share_locations_location_idx/);
      expect(list).toMatch(/templates_created_by_idx/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });

  it('finds where a catch-up starts from the created_at index, never by walking the log', async () => {
    const { FIRST_EVENT_SEQUENCE_SINCE_SQL } =
      await import('../../src/store/eventSql.js');
    const client = await admin.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${FIRST_EVENT_SEQUENCE_SINCE_SQL}`,
        [new Date()],
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      // Index only or bitmap, as the statistics suggest; never the primary
      // key, whose walk from sequence 1 would read the whole log.
      expect(plan).toMatch(
        /Index.* Scan (using|on) template_events_created_at_idx/,
      );
      expect(plan).not.toMatch(/template_events_pkey|Seq Scan/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });

  it('exposes its connection string for the postgres bus', () => {
    expect(store.connectionString).toBe(database.url);
  });

  it('closes more than once without complaint', async () => {
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});
