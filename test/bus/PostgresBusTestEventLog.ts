import pg from 'pg';

import type { EventSource, SequencedEvent } from '../../src/bus/EventSource.js';
import {
  decodeTemplateEvent,
  encodeTemplateEvent,
} from '../../src/domain/templateEventCodec.js';
import type { TemplateEvent } from '../../src/domain/types.js';

/**
 * Stand-in for PostgresStore's event log until it lands: the same
 * `template_events` table, written and read the same way.
 */
export class PostgresBusTestEventLog implements EventSource {
  private readonly pool: pg.Pool;

  constructor(connectionString: string) {
    this.pool = new pg.Pool({ connectionString, max: 4 });
  }

  async migrate(): Promise<void> {
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS template_events (
        sequence bigserial PRIMARY KEY,
        id uuid UNIQUE NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz NULL
      )`);
  }

  /**
   * Writes `event`, through `via` when given (say, a client holding a
   * transaction open), else through a pooled connection.
   */
  async append(
    event: TemplateEvent,
    via: pg.ClientBase | pg.Pool = this.pool,
  ): Promise<void> {
    await via.query(
      'INSERT INTO template_events (id, payload) VALUES ($1, $2)',
      [event.id, encodeTemplateEvent(event)],
    );
  }

  async getEvent(eventId: string): Promise<SequencedEvent | null> {
    const { rows } = await this.pool.query<Row>(
      'SELECT sequence, payload FROM template_events WHERE id = $1',
      [eventId],
    );
    return rows[0] === undefined ? null : toSequenced(rows[0]);
  }

  async listEventsAfter(
    sequence: number,
    limit: number,
  ): Promise<SequencedEvent[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT sequence, payload FROM template_events
       WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
      [sequence, limit],
    );
    return rows.map(toSequenced);
  }

  async latestEventSequence(): Promise<number> {
    const { rows } = await this.pool.query<{ latest: string }>(
      'SELECT coalesce(max(sequence), 0) AS latest FROM template_events',
    );
    return Number(rows[0]?.latest ?? 0);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

interface Row {
  sequence: string;
  payload: unknown;
}

function toSequenced(row: Row): SequencedEvent {
  return {
    sequence: Number(row.sequence),
    event: decodeTemplateEvent(JSON.stringify(row.payload)),
  };
}
