import type { Migration } from './Migration.js';

/**
 * Reference data, templates with their share rows, and the event log that
 * doubles as the outbox. Visibility reads go through three indexes: templates
 * by author, share rows by location, share rows by organisation.
 */
export const initialMigration: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE organizations (
  id text PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE locations (
  id text PRIMARY KEY,
  name text NOT NULL,
  organization_id text NOT NULL REFERENCES organizations (id),
  -- The target of the share rows' (location, organisation) foreign key.
  UNIQUE (id, organization_id)
);
CREATE INDEX locations_organization_id_idx ON locations (organization_id);

CREATE TABLE users (
  id text PRIMARY KEY,
  name text NOT NULL,
  organization_id text REFERENCES organizations (id),
  location_id text REFERENCES locations (id)
);

CREATE TABLE templates (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_by text NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
-- "Authors see their own templates."
CREATE INDEX templates_created_by_idx ON templates (created_by);

-- One row per shared location, in the author's order. The organisation is
-- copied from the location so that "a location of the viewer's organisation
-- is shared" is one index lookup; the composite foreign key keeps the copy
-- equal to the location's own.
CREATE TABLE template_share_locations (
  template_id uuid NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  position integer NOT NULL,
  location_id text NOT NULL,
  organization_id text NOT NULL,
  PRIMARY KEY (template_id, position),
  UNIQUE (template_id, location_id),
  FOREIGN KEY (location_id, organization_id)
    REFERENCES locations (id, organization_id) ON UPDATE CASCADE
);
CREATE INDEX template_share_locations_location_idx
  ON template_share_locations (location_id, template_id);
CREATE INDEX template_share_locations_organization_idx
  ON template_share_locations (organization_id, template_id);

-- The event log: the postgres bus reads payloads and catches up from it, and
-- the outbox relay republishes rows whose publish was never confirmed.
CREATE TABLE template_events (
  sequence bigserial PRIMARY KEY,
  id uuid UNIQUE NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz NULL
);
CREATE INDEX template_events_unpublished_idx
  ON template_events (sequence) WHERE published_at IS NULL;
`,
};
