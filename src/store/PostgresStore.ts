import type pg from 'pg';

import type { AddTemplateInput } from '../domain/addTemplateInput.js';
import { decodeTemplateEvent } from '../domain/templateEventCodec.js';
import type {
  Location,
  Organization,
  Template,
  TemplateEvent,
  User,
} from '../domain/types.js';
import type { Logger } from '../logging/createLogger.js';
import { checkOutClient } from './checkOutClient.js';
import { connectPool } from './connectPool.js';
import { FIRST_EVENT_SEQUENCE_SINCE_SQL } from './eventSql.js';
import { isUuid } from './isUuid.js';
import { migrateDatabase } from './migrateDatabase.js';
import type { Store, StoredEvent } from './Store.js';
import {
  toLocation,
  toOrganization,
  toTemplate,
  toUser,
  type EventRow,
  type LocationRow,
  type OrganizationRow,
  type TemplateRow,
  type UserRow,
} from './templateRows.js';
import { VISIBLE_TEMPLATE_SQL, VISIBLE_TEMPLATES_SQL } from './templateSql.js';
import { withTransaction } from './withTransaction.js';
import { writeTemplate } from './writeTemplate.js';

export interface PostgresStoreOptions {
  /** A postgres:// connection string: DATABASE_URL, or the embedded one's. */
  readonly url: string;
  /** Most connections this instance holds. Default 10. */
  readonly poolSize?: number;
  readonly logger: Logger;
  /** How long one connection attempt may take. Default 5_000. */
  readonly connectionTimeoutMillis?: number;
  /**
   * How long start-up keeps retrying a database that does not answer (a
   * proxy sidecar still starting, say) before giving up. Default 15_000.
   */
  readonly startupTimeoutMillis?: number;
  /** How long ping() waits for an answer. Default 2_000. */
  readonly pingTimeoutMillis?: number;
  /** Stamps new templates and events. Default: the system clock. */
  readonly clock?: () => Date;
}

const EVENT_COLUMNS = 'sequence, payload::text AS payload';

/**
 * The Store on PostgreSQL, over a pg.Pool. Create it with
 * `PostgresStore.connect`, which also migrates and seeds the database.
 */
export class PostgresStore implements Store {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly clock: () => Date,
    private readonly pingTimeoutMillis: number,
    /** The connection string, for the postgres bus's own connections. */
    readonly connectionString: string,
  ) {}

  /**
   * Connects, migrates and seeds, then resolves with a ready store.
   *
   * @throws DatabaseUnreachableError (its message names DATABASE_URL) when
   * the database does not answer within `startupTimeoutMillis`, or refuses
   * the credentials.
   */
  static async connect(options: PostgresStoreOptions): Promise<PostgresStore> {
    const logger = options.logger.child({ module: 'store' });
    const pool = await connectPool({
      url: options.url,
      poolSize: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
      startupTimeoutMillis: options.startupTimeoutMillis ?? 15_000,
      logger,
    });
    try {
      const { applied } = await migrateDatabase(pool, logger);
      logger.info({ appliedMigrations: applied }, 'store ready');
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStore(
      pool,
      logger,
      options.clock ?? (() => new Date()),
      options.pingTimeoutMillis ?? 2_000,
      options.url,
    );
  }

  async getUser(id: string): Promise<User | null> {
    const { rows } = await this.pool.query<UserRow>(
      'SELECT id, name, organization_id, location_id FROM users WHERE id = $1',
      [id],
    );
    return rows[0] === undefined ? null : toUser(rows[0]);
  }

  async getOrganization(id: string): Promise<Organization | null> {
    const { rows } = await this.pool.query<OrganizationRow>(
      'SELECT id, name FROM organizations WHERE id = $1',
      [id],
    );
    return rows[0] === undefined ? null : toOrganization(rows[0]);
  }

  async getLocation(id: string): Promise<Location | null> {
    const { rows } = await this.pool.query<LocationRow>(
      'SELECT id, name, organization_id FROM locations WHERE id = $1',
      [id],
    );
    return rows[0] === undefined ? null : toLocation(rows[0]);
  }

  async listLocationsOfOrganization(
    organizationId: string,
  ): Promise<Location[]> {
    // COLLATE "C": the same order as MemoryStore's string comparison.
    const { rows } = await this.pool.query<LocationRow>(
      `SELECT id, name, organization_id FROM locations
       WHERE organization_id = $1 ORDER BY id COLLATE "C"`,
      [organizationId],
    );
    return rows.map(toLocation);
  }

  async addTemplate(
    authorId: string,
    input: AddTemplateInput,
  ): Promise<TemplateEvent> {
    const event = await withTransaction(this.pool, this.logger, (db) =>
      writeTemplate(db, authorId, input, this.clock()),
    );
    this.logger.debug(
      { templateId: event.template.id, eventId: event.id },
      'template stored',
    );
    return event;
  }

  async listVisibleTemplates(viewer: User, limit: number): Promise<Template[]> {
    const { rows } = await this.pool.query<TemplateRow>(VISIBLE_TEMPLATES_SQL, [
      viewer.id,
      viewer.locationId,
      viewer.organizationId,
      limit,
    ]);
    return rows.map(toTemplate);
  }

  async getVisibleTemplate(
    viewer: User,
    templateId: string,
  ): Promise<Template | null> {
    if (!isUuid(templateId)) return null;
    const { rows } = await this.pool.query<TemplateRow>(VISIBLE_TEMPLATE_SQL, [
      viewer.id,
      viewer.locationId,
      viewer.organizationId,
      templateId,
    ]);
    return rows[0] === undefined ? null : toTemplate(rows[0]);
  }

  async getEvent(eventId: string): Promise<StoredEvent | null> {
    if (!isUuid(eventId)) return null;
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM template_events WHERE id = $1`,
      [eventId],
    );
    return rows[0] === undefined ? null : toStoredEvent(rows[0]);
  }

  async listEventsAfter(
    sequence: number,
    limit: number,
  ): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM template_events
       WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
      [sequence, limit],
    );
    return this.decodeRows(rows);
  }

  async latestEventSequence(): Promise<number> {
    const { rows } = await this.pool.query<{ sequence: string }>(
      'SELECT coalesce(max(sequence), 0) AS sequence FROM template_events',
    );
    return Number(rows[0]?.sequence ?? 0);
  }

  async firstEventSequenceSince(since: Date): Promise<number | null> {
    const { rows } = await this.pool.query<{ sequence: string | null }>(
      FIRST_EVENT_SEQUENCE_SINCE_SQL,
      [since],
    );
    const sequence = rows[0]?.sequence ?? null;
    return sequence === null ? null : Number(sequence);
  }

  async markEventPublished(eventId: string): Promise<void> {
    if (!isUuid(eventId)) return;
    await this.pool.query(
      `UPDATE template_events SET published_at = $2
       WHERE id = $1 AND published_at IS NULL`,
      [eventId, this.clock()],
    );
  }

  async listUnpublishedEvents(
    writtenBefore: Date,
    limit: number,
  ): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM template_events
       WHERE published_at IS NULL AND created_at < $1
       ORDER BY sequence LIMIT $2`,
      [writtenBefore, limit],
    );
    return this.decodeRows(rows);
  }

  /**
   * Decodes a page of event rows, skipping (and logging) any row whose
   * payload no longer decodes, so one bad row cannot stall every catch-up
   * and relay pass behind it.
   */
  private decodeRows(rows: readonly EventRow[]): StoredEvent[] {
    const events: StoredEvent[] = [];
    for (const row of rows) {
      try {
        events.push(toStoredEvent(row));
      } catch (err) {
        this.logger.error(
          { err, sequence: Number(row.sequence) },
          'stored event does not decode; skipped',
        );
      }
    }
    return events;
  }

  async ping(): Promise<void> {
    const attempt = this.selectOne();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `database did not answer within ${this.pingTimeoutMillis} ms`,
            ),
          ),
        this.pingTimeoutMillis,
      );
    });
    try {
      await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
      // A late failure after the timeout has already been reported.
      void attempt.catch(() => undefined);
    }
  }

  /** Closes every connection. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.pool.end().then(() => {
      this.logger.info('store closed');
    });
    return this.closing;
  }

  /** One round trip on a connection of its own (a busy pool waits). */
  private async selectOne(): Promise<void> {
    const { client, release } = await checkOutClient(this.pool, this.logger);
    let broken: Error | undefined;
    try {
      // query_timeout is per query in node-postgres, though its types omit it.
      const query: pg.QueryConfig & { query_timeout: number } = {
        text: 'SELECT 1',
        query_timeout: this.pingTimeoutMillis,
      };
      await client.query(query);
    } catch (err) {
      // A connection that timed out may be wedged: do not reuse it.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      release(broken);
    }
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    sequence: Number(row.sequence),
    event: decodeTemplateEvent(row.payload),
  };
}
