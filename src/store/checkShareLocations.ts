import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import { locationsOutsideReach } from '../domain/shareRule.js';
import type { Location, User } from '../domain/types.js';

/** The locations of a share that passed the checks, in the author's order. */
export interface CheckedShare {
  readonly locations: readonly Location[];
  /** The organisations owning those locations, distinct, first seen first. */
  readonly shareOrganizationIds: readonly string[];
}

/**
 * The checks both stores run inside addTemplate, after reading the author and
 * the named locations: every id must name a location (BAD_USER_INPUT naming
 * the unknown ones), and every location must be within the author's reach
 * (FORBIDDEN naming the others). Unknown ids are reported first: reach means
 * nothing for a location that does not exist.
 *
 * @param requestedIds distinct ids, in the order the author gave them.
 * @param found the locations that exist among `requestedIds`, in any order.
 */
export function checkShareLocations(
  author: Pick<User, 'organizationId' | 'locationId'>,
  requestedIds: readonly string[],
  found: readonly Location[],
): CheckedShare {
  const byId = new Map(found.map((location) => [location.id, location]));

  const unknownLocationIds = requestedIds.filter((id) => !byId.has(id));
  if (unknownLocationIds.length > 0) {
    throw new DomainError(
      ErrorCode.BAD_USER_INPUT,
      `unknown location ids: ${unknownLocationIds.join(', ')}`,
      { field: 'shareLocationIds', unknownLocationIds },
    );
  }

  const locations = requestedIds.map((id) => byId.get(id) as Location);
  const forbiddenLocationIds = locationsOutsideReach(author, locations);
  if (forbiddenLocationIds.length > 0) {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      'you may share only with your own location or the locations of your ' +
        `organisation: ${forbiddenLocationIds.join(', ')} ` +
        (forbiddenLocationIds.length === 1 ? 'is' : 'are') +
        ' outside it',
      { field: 'shareLocationIds', forbiddenLocationIds },
    );
  }

  return {
    locations,
    shareOrganizationIds: [
      ...new Set(locations.map((location) => location.organizationId)),
    ],
  };
}
