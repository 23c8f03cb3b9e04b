/**
 * The lowest sequence among events written at or after $1, or NULL.
 *
 * Written as a materialised range over template_events_created_at_idx on
 * purpose: left as a plain min(sequence), the planner may walk the primary
 * key from sequence 1 until it meets a recent enough row, which reads the
 * whole log when the range is at its end (as it always is here). The range
 * costs what the catch-up that follows reads anyway.
 */
export const FIRST_EVENT_SEQUENCE_SINCE_SQL = `
  WITH since AS MATERIALIZED (
    SELECT sequence FROM template_events WHERE created_at >= $1
  )
  SELECT min(sequence) AS sequence FROM since`;
