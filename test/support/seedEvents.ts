import { SEED_LOCATIONS, SEED_USERS } from '../../src/domain/seedData.js';
import type { TemplateEvent, User } from '../../src/domain/types.js';

/** The seed user with this id (DESIGN.md, "Seed data"). */
export function seedUser(id: string): User {
  const user = SEED_USERS.find((candidate) => candidate.id === id);
  if (user === undefined) throw new Error(`no seed user ${id}`);
  return user;
}

let eventSequence = 0;

/**
 * The event the store would write when `authorId` shares a template with
 * `shareLocationIds`: `shareOrganizationIds` are the seed organisations that
 * own those locations, as the store derives them.
 */
export function seedEvent(
  authorId: string,
  shareLocationIds: readonly string[],
  overrides: { id?: string; createdAt?: Date } = {},
): TemplateEvent {
  eventSequence += 1;
  const author = seedUser(authorId);
  const shareOrganizationIds = [
    ...new Set(
      SEED_LOCATIONS.filter((location) =>
        shareLocationIds.includes(location.id),
      ).map((location) => location.organizationId),
    ),
  ];
  return {
    id: overrides.id ?? `event-${eventSequence}`,
    template: {
      id: `template-${eventSequence}`,
      name: `Template ${eventSequence}`,
      shareLocationIds,
      createdById: author.id,
      createdAt: overrides.createdAt ?? new Date('2025-01-02T03:04:05.000Z'),
    },
    author,
    shareOrganizationIds,
  };
}
