import type pg from 'pg';

import {
  SEED_LOCATIONS,
  SEED_ORGANIZATIONS,
  SEED_USERS,
} from '../domain/seedData.js';

/**
 * Writes the seed fixture (DESIGN.md, "Seed data"), restoring any seed row
 * that drifted and leaving rows that already match untouched. Safe to run at
 * every start; other rows are left alone.
 */
export async function applySeedData(client: pg.ClientBase): Promise<void> {
  await client.query(
    `INSERT INTO organizations (id, name)
       SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name
       WHERE organizations.name IS DISTINCT FROM EXCLUDED.name`,
    [
      SEED_ORGANIZATIONS.map((o) => o.id),
      SEED_ORGANIZATIONS.map((o) => o.name),
    ],
  );
  await client.query(
    `INSERT INTO locations (id, name, organization_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (id) DO UPDATE
       SET name = EXCLUDED.name, organization_id = EXCLUDED.organization_id
       WHERE (locations.name, locations.organization_id)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.organization_id)`,
    [
      SEED_LOCATIONS.map((l) => l.id),
      SEED_LOCATIONS.map((l) => l.name),
      SEED_LOCATIONS.map((l) => l.organizationId),
    ],
  );
  await client.query(
    `INSERT INTO users (id, name, organization_id, location_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
     ON CONFLICT (id) DO UPDATE
       SET name = EXCLUDED.name,
           organization_id = EXCLUDED.organization_id,
           location_id = EXCLUDED.location_id
       WHERE (users.name, users.organization_id, users.location_id)
         IS DISTINCT FROM
           (EXCLUDED.name, EXCLUDED.organization_id, EXCLUDED.location_id)`,
    [
      SEED_USERS.map((u) => u.id),
      SEED_USERS.map((u) => u.name),
      SEED_USERS.map((u) => u.organizationId),
      SEED_USERS.map((u) => u.locationId),
    ],
  );
}
