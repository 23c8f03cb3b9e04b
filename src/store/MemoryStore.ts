import { randomUUID } from 'node:crypto';

import type { AddTemplateInput } from '../domain/addTemplateInput.js';
import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import {
  SEED_LOCATIONS,
  SEED_ORGANIZATIONS,
  SEED_USERS,
} from '../domain/seedData.js';
import { decideVisibility } from '../domain/shareRule.js';
import type {
  Location,
  Organization,
  Template,
  TemplateEvent,
  User,
} from '../domain/types.js';
import { checkShareLocations } from './checkShareLocations.js';
import { compareNewestFirst } from './compareNewestFirst.js';
import { isUuid } from './isUuid.js';
import type { Store, StoredEvent } from './Store.js';

/** The reference data a MemoryStore starts with. */
export interface MemoryStoreFixture {
  readonly organizations: readonly Organization[];
  readonly locations: readonly Location[];
  readonly users: readonly User[];
}

export interface MemoryStoreOptions {
  /** Default: the seed data of DESIGN.md (src/domain/seedData.ts). */
  readonly fixture?: MemoryStoreFixture;
  /** Stamps new templates and events. Default: the system clock. */
  readonly clock?: () => Date;
}

interface EventRecord {
  readonly stored: StoredEvent;
  readonly writtenAt: Date;
  published: boolean;
}

/**
 * The Store contract in memory, for unit tests: the same checks, errors and
 * ordering as PostgresStore (test/store/storeContract.ts runs one suite
 * against both). State lives and dies with the instance.
 */
export class MemoryStore implements Store {
  private readonly organizations: ReadonlyMap<string, Organization>;
  private readonly locations: ReadonlyMap<string, Location>;
  private readonly users: ReadonlyMap<string, User>;
  private readonly clock: () => Date;
  /** Each template with its event, which carries shareOrganizationIds. */
  private readonly templates = new Map<string, TemplateEvent>();
  private readonly events: EventRecord[] = [];
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const fixture = options.fixture ?? {
      organizations: SEED_ORGANIZATIONS,
      locations: SEED_LOCATIONS,
      users: SEED_USERS,
    };
    this.organizations = byId(fixture.organizations);
    this.locations = byId(fixture.locations);
    this.users = byId(fixture.users);
    this.clock = options.clock ?? (() => new Date());
  }

  getUser(id: string): Promise<User | null> {
    return this.answer(() => this.users.get(id) ?? null);
  }

  getOrganization(id: string): Promise<Organization | null> {
    return this.answer(() => this.organizations.get(id) ?? null);
  }

  getLocation(id: string): Promise<Location | null> {
    return this.answer(() => this.locations.get(id) ?? null);
  }

  listLocationsOfOrganization(organizationId: string): Promise<Location[]> {
    return this.answer(() =>
      [...this.locations.values()]
        .filter((location) => location.organizationId === organizationId)
        .sort((a, b) => compareText(a.id, b.id)),
    );
  }

  addTemplate(
    authorId: string,
    input: AddTemplateInput,
  ): Promise<TemplateEvent> {
    return this.answer(() => {
      // Everything is checked before anything is written, which is what
      // makes this as all-or-nothing as the PostgreSQL transaction.
      const author = this.users.get(authorId);
      if (author === undefined) {
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'unknown author');
      }
      const found = input.shareLocationIds.flatMap((id) => {
        const location = this.locations.get(id);
        return location === undefined ? [] : [location];
      });
      const { shareOrganizationIds } = checkShareLocations(
        author,
        input.shareLocationIds,
        found,
      );

      const createdAt = this.clock();
      const event: TemplateEvent = deepFreeze({
        id: randomUUID(),
        template: {
          id: randomUUID(),
          name: input.name,
          shareLocationIds: [...input.shareLocationIds],
          createdById: author.id,
          createdAt,
        },
        author: { ...author },
        shareOrganizationIds: [...shareOrganizationIds],
      });
      this.templates.set(event.template.id, event);
      this.events.push({
        stored: Object.freeze({ sequence: this.events.length + 1, event }),
        writtenAt: createdAt,
        published: false,
      });
      return event;
    });
  }

  listVisibleTemplates(viewer: User, limit: number): Promise<Template[]> {
    return this.answer(() =>
      [...this.templates.values()]
        .filter((event) => decideVisibility(viewer, event).deliver)
        .map((event) => event.template)
        .sort(compareNewestFirst)
        .slice(0, limit),
    );
  }

  getVisibleTemplate(
    viewer: User,
    templateId: string,
  ): Promise<Template | null> {
    return this.answer(() => {
      if (!isUuid(templateId)) return null;
      const event = this.templates.get(templateId.toLowerCase());
      if (event === undefined) return null;
      return decideVisibility(viewer, event).deliver ? event.template : null;
    });
  }

  getEvent(eventId: string): Promise<StoredEvent | null> {
    return this.answer(() => {
      const id = eventId.toLowerCase();
      return (
        this.events.find((record) => record.stored.event.id === id)?.stored ??
        null
      );
    });
  }

  listEventsAfter(sequence: number, limit: number): Promise<StoredEvent[]> {
    return this.answer(() =>
      // Sequence n sits at index n - 1.
      this.events
        .slice(Math.max(0, sequence), Math.max(0, sequence) + limit)
        .map((record) => record.stored),
    );
  }

  latestEventSequence(): Promise<number> {
    return this.answer(() => this.events.length);
  }

  firstEventSequenceSince(since: Date): Promise<number | null> {
    return this.answer(
      // The log is in sequence order, so the first match is the lowest.
      () =>
        this.events.find(
          (record) => record.writtenAt.getTime() >= since.getTime(),
        )?.stored.sequence ?? null,
    );
  }

  markEventPublished(eventId: string): Promise<void> {
    return this.answer(() => {
      const id = eventId.toLowerCase();
      const record = this.events.find((r) => r.stored.event.id === id);
      if (record !== undefined) record.published = true;
    });
  }

  listUnpublishedEvents(
    writtenBefore: Date,
    limit: number,
  ): Promise<StoredEvent[]> {
    return this.answer(() =>
      this.events
        .filter(
          (record) =>
            !record.published &&
            record.writtenAt.getTime() < writtenBefore.getTime(),
        )
        .slice(0, limit)
        .map((record) => record.stored),
    );
  }

  ping(): Promise<void> {
    return this.answer(() => undefined);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /**
   * Runs `read` as an async call would, so callers see rejections rather
   * than throws, and refuses once closed, as a closed pool does.
   */
  private async answer<T>(read: () => T): Promise<T> {
    await Promise.resolve();
    if (this.closed) throw new Error('the store is closed');
    return read();
  }
}

function byId<T extends { readonly id: string }>(
  items: readonly T[],
): ReadonlyMap<string, T> {
  return new Map(items.map((item) => [item.id, Object.freeze({ ...item })]));
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null && !(child instanceof Date))
      deepFreeze(child as object);
  }
  return Object.freeze(value);
}
