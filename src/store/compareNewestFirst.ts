import type { Template } from '../domain/types.js';

/**
 * The order `templates` lists in: newest first, ties broken by id
 * (descending), so both stores agree on one total order. PostgreSQL compares
 * uuids byte by byte, which for lower-case hex is the order of the strings.
 */
export function compareNewestFirst(a: Template, b: Template): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}
