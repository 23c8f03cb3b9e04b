/**
 * The visibility queries, shared with the test that checks their plans use
 * indexes. Parameters: $1 viewer id, $2 viewer location id, $3 viewer
 * organisation id (either may be null, which matches nothing).
 */
const TEMPLATE_COLUMNS = `
  t.id, t.name, t.created_by, t.created_at,
  ARRAY(
    SELECT s.location_id FROM template_share_locations s
    WHERE s.template_id = t.id ORDER BY s.position
  ) AS share_location_ids`;

/**
 * The newest $4 templates the viewer may see. Each clause of the share
 * rule is its own indexed lookup (templates by author, share rows by
 * location, share rows by organisation); their union is the visible set.
 */
export const VISIBLE_TEMPLATES_SQL = `
  SELECT ${TEMPLATE_COLUMNS}
  FROM templates t
  WHERE t.id IN (
    SELECT id FROM templates WHERE created_by = $1
    UNION
    SELECT template_id FROM template_share_locations WHERE location_id = $2
    UNION
    SELECT template_id FROM template_share_locations WHERE organization_id = $3
  )
  ORDER BY t.created_at DESC, t.id DESC
  LIMIT $4`;

/** One template by id ($4) when the viewer may see it. */
export const VISIBLE_TEMPLATE_SQL = `
  SELECT ${TEMPLATE_COLUMNS}
  FROM templates t
  WHERE t.id = $4
    AND (
      t.created_by = $1
      OR EXISTS (
        SELECT 1 FROM template_share_locations s
        WHERE s.template_id = t.id
          AND (s.location_id = $2 OR s.organization_id = $3)
      )
    )`;
