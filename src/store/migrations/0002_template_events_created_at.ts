import type { Migration } from './Migration.js';

/**
 * The event log by time. The pubsub bus catches up after a detachment from
 * "the events written since shortly before the stream was lost", and finds
 * where that starts with this index; sequence rides along so the lookup
 * reads the index alone.
 *
 * A plain CREATE INDEX: migrations run in one transaction, where
 * CONCURRENTLY is refused. It holds off event writes while it builds, which
 * at this table's size is a moment.
 */
export const templateEventsCreatedAtMigration: Migration = {
  version: 2,
  name: 'template events by time',
  sql: `
CREATE INDEX template_events_created_at_idx
  ON template_events (created_at, sequence);
`,
};
