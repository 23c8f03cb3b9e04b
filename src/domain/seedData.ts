import type { Location, Organization, User } from './types.js';

/**
 * The fixture every environment starts with (DESIGN.md, "Seed data"). The
 * store applies it idempotently; tests and the token tool read it.
 */
export const SEED_ORGANIZATIONS: readonly Organization[] = [
  { id: 'org-1', name: 'Northwind' },
  { id: 'org-2', name: 'Southwind' },
];

export const SEED_LOCATIONS: readonly Location[] = [
  { id: 'location-1', name: 'Location 1', organizationId: 'org-1' },
  { id: 'location-2', name: 'Location 2', organizationId: 'org-1' },
  { id: 'location-3', name: 'Location 3', organizationId: 'org-1' },
  { id: 'location-4', name: 'Location 4', organizationId: 'org-2' },
  { id: 'location-5', name: 'Location 5', organizationId: 'org-2' },
];

export const SEED_USERS: readonly User[] = [
  {
    id: 'zowi',
    name: 'ZOWI',
    organizationId: 'org-1',
    locationId: 'location-1',
  },
  { id: 'zolo', name: 'ZOLO', organizationId: null, locationId: 'location-3' },
  { id: 'zewi', name: 'ZEWI', organizationId: 'org-1', locationId: null },
  {
    id: 'zelo',
    name: 'ZELO',
    organizationId: 'org-1',
    locationId: 'location-2',
  },
  {
    id: 'zapa',
    name: 'ZAPA',
    organizationId: 'org-2',
    locationId: 'location-4',
  },
  { id: 'zuri', name: 'ZURI', organizationId: null, locationId: 'location-5' },
];
