import type {
  Location,
  Organization,
  Template,
  User,
} from '../domain/types.js';

/** Row shapes as node-postgres returns them, and their domain objects. */
export interface OrganizationRow {
  readonly id: string;
  readonly name: string;
}

export interface LocationRow {
  readonly id: string;
  readonly name: string;
  readonly organization_id: string;
}

export interface UserRow {
  readonly id: string;
  readonly name: string;
  readonly organization_id: string | null;
  readonly location_id: string | null;
}

export interface TemplateRow {
  readonly id: string;
  readonly name: string;
  readonly created_by: string;
  readonly created_at: Date;
  readonly share_location_ids: string[];
}

export interface EventRow {
  /** bigint arrives as a string; sequences stay far below 2^53. */
  readonly sequence: string;
  /** The jsonb payload as text, for decodeTemplateEvent. */
  readonly payload: string;
}

export function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name };
}

export function toLocation(row: LocationRow): Location {
  return { id: row.id, name: row.name, organizationId: row.organization_id };
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    organizationId: row.organization_id,
    locationId: row.location_id,
  };
}

export function toTemplate(row: TemplateRow): Template {
  return {
    id: row.id,
    name: row.name,
    shareLocationIds: row.share_location_ids,
    createdById: row.created_by,
    createdAt: row.created_at,
  };
}
