import { SEED_LOCATIONS, SEED_USERS } from '../../src/domain/seedData.js';
import {
  decideDelivery,
  decideVisibility,
  locationsOutsideReach,
  type ShareDecision,
} from '../../src/domain/shareRule.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { seedEvent, seedUser } from '../support/seedEvents.js';

/** Every seed user's decision for `event`, keyed by user id. */
function decisionsFor(
  event: TemplateEvent,
  decide: typeof decideDelivery = decideDelivery,
): Record<string, ShareDecision> {
  return Object.fromEntries(
    SEED_USERS.map((user) => [user.id, decide(user, event)]),
  );
}

function receivers(event: TemplateEvent): string[] {
  return SEED_USERS.filter((user) => decideDelivery(user, event).deliver)
    .map((user) => user.id)
    .sort();
}

const seedLocation = (id: string) => {
  const location = SEED_LOCATIONS.find((candidate) => candidate.id === id);
  if (location === undefined) throw new Error(`no seed location ${id}`);
  return location;
};

describe('decideDelivery', () => {
  it('delivers zowi’s template for location-3 to exactly zolo, zewi and zelo', () => {
    expect(decisionsFor(seedEvent('zowi', ['location-3']))).toEqual({
      zowi: { deliver: false, clause: 'author' },
      zolo: { deliver: true, clause: 'location' },
      zewi: { deliver: true, clause: 'organization' },
      zelo: { deliver: true, clause: 'organization' },
      zapa: { deliver: false, clause: 'none' },
      zuri: { deliver: false, clause: 'none' },
    });
  });

  it('delivers zapa’s template for location-5 to zuri only', () => {
    expect(decisionsFor(seedEvent('zapa', ['location-5']))).toEqual({
      zowi: { deliver: false, clause: 'none' },
      zolo: { deliver: false, clause: 'none' },
      zewi: { deliver: false, clause: 'none' },
      zelo: { deliver: false, clause: 'none' },
      zapa: { deliver: false, clause: 'author' },
      zuri: { deliver: true, clause: 'location' },
    });
  });

  it('prefers the location clause when both the location and the organisation match', () => {
    const event = seedEvent('zowi', ['location-1', 'location-2']);
    expect(decisionsFor(event)).toEqual({
      zowi: { deliver: false, clause: 'author' },
      zolo: { deliver: false, clause: 'none' },
      zewi: { deliver: true, clause: 'organization' },
      zelo: { deliver: true, clause: 'location' },
      zapa: { deliver: false, clause: 'none' },
      zuri: { deliver: false, clause: 'none' },
    });
  });

  it('never delivers to the author, even when their own location is shared', () => {
    const event = seedEvent('zowi', ['location-1']);
    expect(decideDelivery(seedUser('zowi'), event)).toEqual({
      deliver: false,
      clause: 'author',
    });
    expect(receivers(event)).toEqual(['zelo', 'zewi']);
  });

  it('reaches users of both organisations when locations of both are shared', () => {
    // The store would refuse this share; the rule itself is still exact.
    const event = seedEvent('zowi', ['location-3', 'location-5']);
    expect(event.shareOrganizationIds).toEqual(['org-1', 'org-2']);
    expect(decisionsFor(event)).toEqual({
      zowi: { deliver: false, clause: 'author' },
      zolo: { deliver: true, clause: 'location' },
      zewi: { deliver: true, clause: 'organization' },
      zelo: { deliver: true, clause: 'organization' },
      zapa: { deliver: true, clause: 'organization' },
      zuri: { deliver: true, clause: 'location' },
    });
  });

  it('delivers to nobody when no shared location matches anyone', () => {
    const unknown = seedEvent('zowi', ['location-99']);
    expect(unknown.shareOrganizationIds).toEqual([]);
    expect(receivers(unknown)).toEqual([]);
    expect(receivers(seedEvent('zewi', []))).toEqual([]);
  });

  it('delivers zolo’s template for its own location to the users of org-1 only', () => {
    expect(receivers(seedEvent('zolo', ['location-3']))).toEqual([
      'zelo',
      'zewi',
      'zowi',
    ]);
  });
});

describe('decideVisibility', () => {
  it('lets authors see their own templates and applies the share rule to everyone else', () => {
    expect(
      decisionsFor(seedEvent('zowi', ['location-3']), decideVisibility),
    ).toEqual({
      zowi: { deliver: true, clause: 'author' },
      zolo: { deliver: true, clause: 'location' },
      zewi: { deliver: true, clause: 'organization' },
      zelo: { deliver: true, clause: 'organization' },
      zapa: { deliver: false, clause: 'none' },
      zuri: { deliver: false, clause: 'none' },
    });
  });

  it('shows zapa’s template for location-5 to zapa and zuri only', () => {
    const visible = SEED_USERS.filter(
      (user) =>
        decideVisibility(user, seedEvent('zapa', ['location-5'])).deliver,
    ).map((user) => user.id);
    expect(visible).toEqual(['zapa', 'zuri']);
  });
});

describe('locationsOutsideReach', () => {
  it('allows a user with an organisation every location of it', () => {
    const orgOne = ['location-1', 'location-2', 'location-3'].map(seedLocation);
    expect(locationsOutsideReach(seedUser('zowi'), orgOne)).toEqual([]);
    expect(locationsOutsideReach(seedUser('zewi'), orgOne)).toEqual([]);
  });

  it('names the locations of another organisation', () => {
    const mixed = ['location-2', 'location-4', 'location-5'].map(seedLocation);
    expect(locationsOutsideReach(seedUser('zelo'), mixed)).toEqual([
      'location-4',
      'location-5',
    ]);
    expect(locationsOutsideReach(seedUser('zapa'), mixed)).toEqual([
      'location-2',
    ]);
  });

  it('allows a user without an organisation only their own location', () => {
    const all = SEED_LOCATIONS;
    expect(locationsOutsideReach(seedUser('zolo'), all)).toEqual([
      'location-1',
      'location-2',
      'location-4',
      'location-5',
    ]);
    expect(locationsOutsideReach(seedUser('zuri'), all)).toEqual([
      'location-1',
      'location-2',
      'location-3',
      'location-4',
    ]);
  });

  it('allows a user with an organisation but no location nothing outside it', () => {
    expect(
      locationsOutsideReach(seedUser('zewi'), [seedLocation('location-4')]),
    ).toEqual(['location-4']);
  });

  it('finds nothing outside reach in an empty share', () => {
    expect(locationsOutsideReach(seedUser('zuri'), [])).toEqual([]);
  });
});
