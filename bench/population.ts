import type { Audience } from '../src/domain/shareRule.js';
import type { TemplateEvent } from '../src/domain/types.js';

/** How a benchmark population is spread. */
export interface PopulationShape {
  readonly subscribers: number;
  /** Subscribers per organisation, on average. */
  readonly subscribersPerOrganization: number;
  readonly locationsPerOrganization: number;
  readonly events: number;
}

export interface Population {
  readonly subscribers: readonly Audience[];
  readonly events: readonly TemplateEvent[];
  readonly organizations: number;
  readonly locations: number;
}

/**
 * mulberry32: a tiny seeded generator, so every run and every approach sees
 * the same population and the same events.
 */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Subscribers spread evenly over many organisations: 80% have an
 * organisation and a location, 10% only a location (like zolo), 10% only an
 * organisation (like zewi). Each event is written by a subscriber with an
 * organisation and shares one to three locations of it, as the share rule
 * allows, so its audience is about one organisation's subscribers.
 */
export function buildPopulation(shape: PopulationShape, seed = 42): Population {
  const next = random(seed);
  const pick = (count: number) => Math.floor(next() * count);
  const organizations = Math.max(
    1,
    Math.round(shape.subscribers / shape.subscribersPerOrganization),
  );
  const location = (org: number, index: number) =>
    `loc-${org * shape.locationsPerOrganization + index}`;

  const subscribers: Audience[] = [];
  for (let i = 0; i < shape.subscribers; i += 1) {
    const org = pick(organizations);
    const kind = next();
    subscribers.push({
      id: `user-${i}`,
      organizationId: kind < 0.1 ? null : `org-${org}`,
      locationId:
        kind >= 0.9
          ? null
          : location(org, pick(shape.locationsPerOrganization)),
    });
  }

  const authors = subscribers.filter((s) => s.organizationId !== null);
  const events: TemplateEvent[] = [];
  for (let e = 0; e < shape.events; e += 1) {
    const author = authors[pick(authors.length)] as Audience;
    const org = Number((author.organizationId as string).slice('org-'.length));
    const shareCount = 1 + pick(3);
    const shareLocationIds = [
      ...new Set(
        Array.from({ length: shareCount }, () =>
          location(org, pick(shape.locationsPerOrganization)),
        ),
      ),
    ];
    events.push({
      id: `event-${e}`,
      template: {
        id: `template-${e}`,
        name: `Template ${e}`,
        shareLocationIds,
        createdById: author.id,
        createdAt: new Date(),
      },
      author: { ...author, name: author.id },
      shareOrganizationIds: [`org-${org}`],
    });
  }

  return {
    subscribers,
    events,
    organizations,
    locations: organizations * shape.locationsPerOrganization,
  };
}
