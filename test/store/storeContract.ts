import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import {
  SEED_LOCATIONS,
  SEED_ORGANIZATIONS,
  SEED_USERS,
} from '../../src/domain/seedData.js';
import type { TemplateEvent, User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/Store.js';
import { seedUser } from '../support/seedEvents.js';
import { ManualClock } from './ManualClock.js';

/** A fresh store per test: seeded, with no templates and no events. */
export interface StoreUnderTest {
  readonly store: Store;
  /** Removes what the test left behind (closes pools, ...). */
  dispose(): Promise<void>;
}

export type CreateStore = (clock: ManualClock) => Promise<StoreUnderTest>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error a promise rejected with, failing the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/**
 * The Store contract, run against every implementation so MemoryStore and
 * PostgresStore cannot drift apart.
 */
export function describeStoreContract(name: string, create: CreateStore): void {
  describe(`${name} (Store contract)`, () => {
    let clock: ManualClock;
    let store: Store;
    let underTest: StoreUnderTest;

    beforeEach(async () => {
      clock = new ManualClock();
      underTest = await create(clock);
      store = underTest.store;
    });

    afterEach(async () => {
      await underTest.dispose();
    });

    async function add(
      authorId: string,
      shareLocationIds: string[],
      templateName = `from ${authorId}`,
    ): Promise<TemplateEvent> {
      return store.addTemplate(authorId, {
        name: templateName,
        shareLocationIds,
      });
    }

    async function visibleIds(userId: string): Promise<string[]> {
      const templates = await store.listVisibleTemplates(seedUser(userId), 100);
      return templates.map((template) => template.id);
    }

    describe('reference data', () => {
      it('returns every seed user, organisation and location as seeded', async () => {
        for (const user of SEED_USERS) {
          expect(await store.getUser(user.id)).toEqual(user);
        }
        for (const organization of SEED_ORGANIZATIONS) {
          expect(await store.getOrganization(organization.id)).toEqual(
            organization,
          );
        }
        for (const location of SEED_LOCATIONS) {
          expect(await store.getLocation(location.id)).toEqual(location);
        }
      });

      it('answers null for ids that name nothing', async () => {
        expect(await store.getUser('nobody')).toBeNull();
        expect(await store.getOrganization('org-9')).toBeNull();
        expect(await store.getLocation('location-9')).toBeNull();
      });

      it('lists the locations of an organisation ordered by id', async () => {
        expect(await store.listLocationsOfOrganization('org-1')).toEqual([
          SEED_LOCATIONS[0],
          SEED_LOCATIONS[1],
          SEED_LOCATIONS[2],
        ]);
        expect(
          (await store.listLocationsOfOrganization('org-2')).map((l) => l.id),
        ).toEqual(['location-4', 'location-5']);
        expect(await store.listLocationsOfOrganization('org-9')).toEqual([]);
      });
    });

    describe('addTemplate', () => {
      it('returns the event with the template, an author snapshot and the shared organisations', async () => {
        const event = await store.addTemplate('zowi', {
          name: 'Opening checklist',
          shareLocationIds: ['location-3', 'location-1'],
        });

        expect(event.id).toMatch(UUID);
        expect(event.template.id).toMatch(UUID);
        expect(event.template).toEqual({
          id: event.template.id,
          name: 'Opening checklist',
          shareLocationIds: ['location-3', 'location-1'],
          createdById: 'zowi',
          createdAt: clock.now(),
        });
        expect(event.author).toEqual(seedUser('zowi'));
        expect(event.shareOrganizationIds).toEqual(['org-1']);
      });

      it('lets a user without an organisation share with their own location', async () => {
        const event = await add('zolo', ['location-3']);
        expect(event.shareOrganizationIds).toEqual(['org-1']);
        expect(event.author).toEqual(seedUser('zolo'));
      });

      it('lets a user without a location share with their organisation', async () => {
        const event = await add('zewi', ['location-2', 'location-1']);
        expect(event.template.shareLocationIds).toEqual([
          'location-2',
          'location-1',
        ]);
      });

      it('rejects unknown locations with BAD_USER_INPUT naming them, and writes nothing', async () => {
        const err = await rejectionOf(
          add('zowi', ['location-1', 'location-9', 'nowhere']),
        );

        expect(err).toBeInstanceOf(DomainError);
        const domainError = err as DomainError;
        expect(domainError.code).toBe(ErrorCode.BAD_USER_INPUT);
        expect(domainError.message).toContain('location-9');
        expect(domainError.message).toContain('nowhere');
        expect(domainError.details).toMatchObject({
          unknownLocationIds: ['location-9', 'nowhere'],
        });
        expect(await store.latestEventSequence()).toBe(0);
        expect(await visibleIds('zowi')).toEqual([]);
      });

      it('rejects locations outside the author’s reach with FORBIDDEN, and writes nothing', async () => {
        const err = await rejectionOf(
          add('zowi', ['location-1', 'location-4']),
        );

        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe(ErrorCode.FORBIDDEN);
        expect((err as DomainError).message).toContain('location-4');
        expect((err as DomainError).details).toMatchObject({
          forbiddenLocationIds: ['location-4'],
        });
        expect(await store.latestEventSequence()).toBe(0);
        expect(await visibleIds('zowi')).toEqual([]);
        expect(await visibleIds('zapa')).toEqual([]);
      });

      it('forbids a user without an organisation from sharing beyond their location', async () => {
        const err = await rejectionOf(add('zolo', ['location-1']));
        expect((err as DomainError).code).toBe(ErrorCode.FORBIDDEN);
        expect(await store.latestEventSequence()).toBe(0);
      });

      it('reports unknown locations before locations out of reach', async () => {
        const err = await rejectionOf(
          add('zowi', ['location-4', 'location-9']),
        );
        expect((err as DomainError).code).toBe(ErrorCode.BAD_USER_INPUT);
        expect((err as DomainError).details).toMatchObject({
          unknownLocationIds: ['location-9'],
        });
      });

      it('rejects an unknown author with UNAUTHENTICATED, and writes nothing', async () => {
        const err = await rejectionOf(add('ghost', ['location-1']));
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe(ErrorCode.UNAUTHENTICATED);
        expect(await store.latestEventSequence()).toBe(0);
      });
    });

    describe('visibility', () => {
      it('shows zowi’s template for location-3 to zowi, zolo, zewi and zelo only', async () => {
        const { template } = await add('zowi', ['location-3']);

        for (const viewer of ['zowi', 'zolo', 'zewi', 'zelo']) {
          expect(await visibleIds(viewer)).toEqual([template.id]);
          expect(
            await store.getVisibleTemplate(seedUser(viewer), template.id),
          ).toEqual(template);
        }
        for (const viewer of ['zapa', 'zuri']) {
          expect(await visibleIds(viewer)).toEqual([]);
          expect(
            await store.getVisibleTemplate(seedUser(viewer), template.id),
          ).toBeNull();
        }
      });

      it('shows zapa’s template for location-5 to zapa and zuri only', async () => {
        const { template } = await add('zapa', ['location-5']);

        expect(await visibleIds('zapa')).toEqual([template.id]);
        expect(await visibleIds('zuri')).toEqual([template.id]);
        for (const viewer of ['zowi', 'zolo', 'zewi', 'zelo']) {
          expect(await visibleIds(viewer)).toEqual([]);
        }
      });

      it('shows a template for location-1 to the organisation but not to zolo at location-3', async () => {
        const { template } = await add('zelo', ['location-1']);

        expect(await visibleIds('zowi')).toEqual([template.id]);
        expect(await visibleIds('zewi')).toEqual([template.id]);
        expect(await visibleIds('zelo')).toEqual([template.id]);
        expect(await visibleIds('zolo')).toEqual([]);
      });

      it('lists templates newest first, ties broken by descending id', async () => {
        const first = await add('zowi', ['location-1'], 'first');
        clock.advance(1_000);
        const second = await add('zelo', ['location-2'], 'second');
        clock.advance(1_000);
        const thirdA = await add('zowi', ['location-3'], 'third a');
        const thirdB = await add('zowi', ['location-3'], 'third b');

        const [laterTie, earlierTie] =
          thirdA.template.id > thirdB.template.id
            ? [thirdA, thirdB]
            : [thirdB, thirdA];
        expect(await visibleIds('zewi')).toEqual([
          laterTie.template.id,
          earlierTie.template.id,
          second.template.id,
          first.template.id,
        ]);
        expect(await store.listVisibleTemplates(seedUser('zewi'), 100)).toEqual(
          [
            laterTie.template,
            earlierTie.template,
            second.template,
            first.template,
          ],
        );
      });

      it('returns only the newest `limit` visible templates', async () => {
        const oldest = await add('zowi', ['location-1'], 'oldest');
        clock.advance(1_000);
        const middle = await add('zowi', ['location-1'], 'middle');
        clock.advance(1_000);
        const newest = await add('zowi', ['location-1'], 'newest');

        const ids = async (limit: number) =>
          (await store.listVisibleTemplates(seedUser('zewi'), limit)).map(
            (template) => template.id,
          );
        expect(await ids(2)).toEqual([newest.template.id, middle.template.id]);
        expect(await ids(3)).toEqual([
          newest.template.id,
          middle.template.id,
          oldest.template.id,
        ]);
      });

      it('answers null for a template id that is unknown or not a uuid', async () => {
        await add('zowi', ['location-1']);
        const zowi = seedUser('zowi');
        expect(
          await store.getVisibleTemplate(
            zowi,
            '00000000-0000-4000-8000-000000000000',
          ),
        ).toBeNull();
        expect(await store.getVisibleTemplate(zowi, 'not-a-uuid')).toBeNull();
      });

      it('applies the rule to the viewer as given, not as stored', async () => {
        const { template } = await add('zapa', ['location-4']);
        const movedZuri: User = {
          ...seedUser('zuri'),
          locationId: 'location-4',
        };
        expect(
          (await store.listVisibleTemplates(movedZuri, 100)).map((t) => t.id),
        ).toEqual([template.id]);
      });
    });

    describe('event log', () => {
      it('numbers events from 1 and reads each back by id', async () => {
        expect(await store.latestEventSequence()).toBe(0);
        const first = await add('zowi', ['location-1']);
        const second = await add('zapa', ['location-5']);

        expect(await store.latestEventSequence()).toBe(2);
        expect(await store.getEvent(first.id)).toEqual({
          sequence: 1,
          event: first,
        });
        expect(await store.getEvent(second.id)).toEqual({
          sequence: 2,
          event: second,
        });
      });

      it('answers null for an event id that is unknown or not a uuid', async () => {
        expect(
          await store.getEvent('00000000-0000-4000-8000-000000000000'),
        ).toBeNull();
        expect(await store.getEvent('nope')).toBeNull();
      });

      it('lists events after a sequence, oldest first, up to the limit', async () => {
        const events: TemplateEvent[] = [];
        for (let index = 0; index < 5; index += 1) {
          events.push(await add('zowi', ['location-1'], `t${index}`));
        }

        expect(await store.listEventsAfter(0, 100)).toEqual(
          events.map((event, index) => ({ sequence: index + 1, event })),
        );
        expect(
          (await store.listEventsAfter(2, 2)).map((stored) => stored.sequence),
        ).toEqual([3, 4]);
        expect(await store.listEventsAfter(5, 10)).toEqual([]);
      });

      it('finds the lowest sequence of the events written since a time', async () => {
        const start = clock.now();
        expect(await store.firstEventSequenceSince(start)).toBeNull();
        await add('zowi', ['location-1'], 'first');
        clock.advance(1_000);
        const secondAt = clock.now();
        await add('zowi', ['location-1'], 'second');
        await add('zowi', ['location-1'], 'third');

        const since = (millisAfterStart: number) =>
          store.firstEventSequenceSince(
            new Date(start.getTime() + millisAfterStart),
          );
        expect(await since(-1)).toBe(1);
        expect(await since(0)).toBe(1);
        expect(await since(1)).toBe(2);
        expect(await store.firstEventSequenceSince(secondAt)).toBe(2);
        expect(await since(1_001)).toBeNull();
      });

      it('finds the lowest matching sequence even when stamps do not rise with it', async () => {
        // A writer whose clock runs ahead stamps its event later than the
        // one written after it.
        clock.advance(5_000);
        await add('zowi', ['location-1'], 'stamped late');
        clock.advance(-4_000);
        const earlierAt = clock.now();
        await add('zowi', ['location-1'], 'stamped early');

        expect(await store.firstEventSequenceSince(earlierAt)).toBe(1);
        clock.advance(4_001);
        expect(await store.firstEventSequenceSince(clock.now())).toBeNull();
      });
    });

    describe('outbox', () => {
      it('lists unpublished events written before the bound, oldest first', async () => {
        const early = await add('zowi', ['location-1'], 'early');
        clock.advance(5_000);
        const late = await add('zowi', ['location-1'], 'late');

        expect(
          (await store.listUnpublishedEvents(clock.now(), 10)).map(
            (stored) => stored.event.id,
          ),
        ).toEqual([early.id]);
        clock.advance(1);
        expect(
          (await store.listUnpublishedEvents(clock.now(), 10)).map(
            (stored) => stored.event.id,
          ),
        ).toEqual([early.id, late.id]);
        expect(
          (await store.listUnpublishedEvents(clock.now(), 1)).map(
            (stored) => stored.event.id,
          ),
        ).toEqual([early.id]);
      });

      it('drops an event from the outbox once marked published, idempotently', async () => {
        const first = await add('zowi', ['location-1'], 'first');
        const second = await add('zowi', ['location-1'], 'second');
        clock.advance(1);

        await store.markEventPublished(first.id);
        await store.markEventPublished(first.id);
        await store.markEventPublished('00000000-0000-4000-8000-000000000000');

        expect(await store.listUnpublishedEvents(clock.now(), 10)).toEqual([
          { sequence: 2, event: second },
        ]);
        // Published events stay in the log for catching up.
        expect(await store.getEvent(first.id)).toEqual({
          sequence: 1,
          event: first,
        });
      });
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
