const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Template and event ids are UUIDs. Anything else names nothing, so lookups
 * answer null for it instead of letting PostgreSQL reject the cast.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
