import { randomUUID } from 'node:crypto';

import type pg from 'pg';

import type { AddTemplateInput } from '../domain/addTemplateInput.js';
import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import { encodeTemplateEvent } from '../domain/templateEventCodec.js';
import type { Template, TemplateEvent } from '../domain/types.js';
import { AdvisoryLockKey } from './advisoryLockKeys.js';
import { checkShareLocations } from './checkShareLocations.js';
import {
  toLocation,
  toUser,
  type LocationRow,
  type UserRow,
} from './templateRows.js';

/**
 * addTemplate's reads, checks and writes, on a connection inside a
 * transaction the caller commits. Throws before writing anything when the
 * input is rejected.
 */
export async function writeTemplate(
  db: pg.ClientBase,
  authorId: string,
  input: AddTemplateInput,
  createdAt: Date,
): Promise<TemplateEvent> {
  // 1. The author, as they are now: the event carries this snapshot.
  const authors = await db.query<UserRow>(
    'SELECT id, name, organization_id, location_id FROM users WHERE id = $1',
    [authorId],
  );
  if (authors.rows[0] === undefined) {
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'unknown author');
  }
  const author = toUser(authors.rows[0]);

  // 2. The locations: all must exist and be within the author's reach.
  const found = await db.query<LocationRow>(
    'SELECT id, name, organization_id FROM locations WHERE id = ANY($1)',
    [input.shareLocationIds],
  );
  const { locations, shareOrganizationIds } = checkShareLocations(
    author,
    input.shareLocationIds,
    found.rows.map(toLocation),
  );

  // 3. The template and its share rows, in the author's order.
  const template: Template = {
    id: randomUUID(),
    name: input.name,
    shareLocationIds: locations.map((location) => location.id),
    createdById: author.id,
    createdAt,
  };
  await db.query(
    `INSERT INTO templates (id, name, created_by, created_at)
     VALUES ($1, $2, $3, $4)`,
    [template.id, template.name, author.id, createdAt],
  );
  await db.query(
    `INSERT INTO template_share_locations
       (template_id, position, location_id, organization_id)
     SELECT $1, s.position, s.location_id, s.organization_id
     FROM unnest($2::text[], $3::text[])
       WITH ORDINALITY AS s (location_id, organization_id, position)`,
    [
      template.id,
      locations.map((location) => location.id),
      locations.map((location) => location.organizationId),
    ],
  );

  // 4. The event, last, under the lock that keeps sequence order equal to
  // commit order (COMMIT releases it).
  const event: TemplateEvent = {
    id: randomUUID(),
    template,
    author,
    shareOrganizationIds,
  };
  await db.query(
    `SELECT pg_advisory_xact_lock(${AdvisoryLockKey.EVENT_SEQUENCE})`,
  );
  await db.query(
    `INSERT INTO template_events (id, payload, created_at)
     VALUES ($1, $2::jsonb, $3)`,
    [event.id, encodeTemplateEvent(event), createdAt],
  );
  return event;
}
