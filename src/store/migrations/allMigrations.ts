import { initialMigration } from './0001_initial.js';
import type { Migration } from './Migration.js';

/** Every migration, in version order. Add new ones at the end. */
export const ALL_MIGRATIONS: readonly Migration[] = [initialMigration];
