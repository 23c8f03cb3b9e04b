import { initialMigration } from './0001_initial.js';
import { templateEventsCreatedAtMigration } from './0002_template_events_created_at.js';
import type { Migration } from './Migration.js';

/** Every migration, in version order. Add new ones at the end. */
export const ALL_MIGRATIONS: readonly Migration[] = [
  initialMigration,
  templateEventsCreatedAtMigration,
];
