/**
 * PostgreSQL advisory lock keys: 64-bit, kept as SQL literals so no
 * JavaScript number rounds them (and without digit separators, which
 * PostgreSQL accepts only from version 16). Listed in one place so that two
 * uses never collide.
 */
export const AdvisoryLockKey = {
  /** Held by the transaction that migrates and seeds the database. */
  MIGRATIONS: '7401366125201001',
  /**
   * Held from an event's insert to its commit, so events commit in sequence
   * order and a reader that sees sequence n has seen every smaller one.
   */
  EVENT_SEQUENCE: '7401366125201002',
} as const;
