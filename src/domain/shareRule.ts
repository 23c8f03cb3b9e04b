import type { TemplateEvent, User } from './types.js';

/** Who may receive an event: the identity fields the share rule reads. */
export type Audience = Pick<User, 'id' | 'organizationId' | 'locationId'>;

/**
 * Which clause of the share rule decided. Logged with every decision so an
 * operator can tell why a user did or did not get a template.
 */
export type ShareClause =
  /** The subscriber wrote the template: never delivered to its author. */
  | 'author'
  /** The subscriber's own location is shared. */
  | 'location'
  /** A location of the subscriber's organisation is shared. */
  | 'organization'
  /** Neither clause holds. */
  | 'none';

export interface ShareDecision {
  readonly deliver: boolean;
  readonly clause: ShareClause;
}

const AUTHOR: ShareDecision = { deliver: false, clause: 'author' };
const LOCATION: ShareDecision = { deliver: true, clause: 'location' };
const ORGANIZATION: ShareDecision = { deliver: true, clause: 'organization' };
const NONE: ShareDecision = { deliver: false, clause: 'none' };

/**
 * The share rule of DESIGN.md for a live event: not the author, and either the
 * subscriber's location or a location of its organisation is shared.
 */
export function decideDelivery(
  subscriber: Audience,
  event: Pick<TemplateEvent, 'template' | 'shareOrganizationIds'>,
): ShareDecision {
  if (subscriber.id === event.template.createdById) return AUTHOR;
  const visibility = decideVisibility(subscriber, event);
  return visibility.clause === 'author' ? AUTHOR : visibility;
}

/**
 * The share rule for reading (`templates`, `template(id)`): the same clauses,
 * except that authors see their own templates.
 */
export function decideVisibility(
  viewer: Audience,
  event: Pick<TemplateEvent, 'template' | 'shareOrganizationIds'>,
): ShareDecision {
  const { template, shareOrganizationIds } = event;
  if (viewer.id === template.createdById)
    return { deliver: true, clause: 'author' };
  if (
    viewer.locationId !== null &&
    template.shareLocationIds.includes(viewer.locationId)
  ) {
    return LOCATION;
  }
  if (
    viewer.organizationId !== null &&
    shareOrganizationIds.includes(viewer.organizationId)
  ) {
    return ORGANIZATION;
  }
  return NONE;
}

/**
 * Whether `author` may share with every location in `locations`: each must be
 * the author's own location or belong to the author's organisation.
 *
 * @returns the ids of the locations outside the author's reach, empty when
 * the share is allowed.
 */
export function locationsOutsideReach(
  author: Pick<User, 'organizationId' | 'locationId'>,
  locations: readonly {
    readonly id: string;
    readonly organizationId: string;
  }[],
): string[] {
  return locations
    .filter(
      (location) =>
        location.id !== author.locationId &&
        (author.organizationId === null ||
          location.organizationId !== author.organizationId),
    )
    .map((location) => location.id);
}
