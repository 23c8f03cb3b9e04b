/**
 * One step of the schema. Versions are applied in ascending order, each at
 * most once; a migration that shipped is never edited, only followed by a
 * new one. The SQL lives in TypeScript so `tsc` output carries it.
 */
export interface Migration {
  /** Positive, unique, and the order of application. */
  readonly version: number;
  /** A few words for the log and the schema_migrations table. */
  readonly name: string;
  readonly sql: string;
}
