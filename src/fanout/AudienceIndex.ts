/** The identity fields an entry is indexed by. */
export interface AudienceKeys {
  readonly userId: string;
  readonly organizationId: string | null;
  readonly locationId: string | null;
}

/** How many distinct keys each index holds (zero once everyone has left). */
export interface AudienceIndexSizes {
  readonly locations: number;
  readonly organizations: number;
  readonly users: number;
}

const EMPTY: ReadonlySet<never> = new Set();

/**
 * Subscribers by location id, organisation id and user id, so that routing
 * an event touches only the subscribers it could reach. A key whose last
 * entry leaves is deleted, so the index never outgrows the live subscribers.
 */
export class AudienceIndex<E extends AudienceKeys> {
  private readonly byLocation = new Map<string, Set<E>>();
  private readonly byOrganization = new Map<string, Set<E>>();
  private readonly byUser = new Map<string, Set<E>>();

  add(entry: E): void {
    if (entry.locationId !== null)
      put(this.byLocation, entry.locationId, entry);
    if (entry.organizationId !== null) {
      put(this.byOrganization, entry.organizationId, entry);
    }
    put(this.byUser, entry.userId, entry);
  }

  remove(entry: E): void {
    if (entry.locationId !== null) {
      take(this.byLocation, entry.locationId, entry);
    }
    if (entry.organizationId !== null) {
      take(this.byOrganization, entry.organizationId, entry);
    }
    take(this.byUser, entry.userId, entry);
  }

  /** Entries whose own location is `locationId`. */
  atLocation(locationId: string): ReadonlySet<E> {
    return this.byLocation.get(locationId) ?? EMPTY;
  }

  /** Entries belonging to organisation `organizationId`. */
  inOrganization(organizationId: string): ReadonlySet<E> {
    return this.byOrganization.get(organizationId) ?? EMPTY;
  }

  /** Entries of user `userId` (one per subscription, across connections). */
  ofUser(userId: string): ReadonlySet<E> {
    return this.byUser.get(userId) ?? EMPTY;
  }

  get sizes(): AudienceIndexSizes {
    return {
      locations: this.byLocation.size,
      organizations: this.byOrganization.size,
      users: this.byUser.size,
    };
  }
}

function put<E>(index: Map<string, Set<E>>, key: string, entry: E): void {
  const entries = index.get(key);
  if (entries === undefined) index.set(key, new Set([entry]));
  else entries.add(entry);
}

function take<E>(index: Map<string, Set<E>>, key: string, entry: E): void {
  const entries = index.get(key);
  if (entries === undefined) return;
  entries.delete(entry);
  if (entries.size === 0) index.delete(key);
}
