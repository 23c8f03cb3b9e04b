import type { Logger } from 'pino';

import type {
  Location,
  Organization,
  TemplateEvent,
  User,
} from '../domain/types.js';
import type { Store } from '../store/Store.js';
import type { TemplateEventFeed } from './TemplateEventFeed.js';

/**
 * Hands a stored event to the bus. The server wires it to `bus.publish`; the
 * GraphQL layer never sees the bus (DESIGN.md, layers).
 */
export type PublishEvent = (event: TemplateEvent) => Promise<void>;

/**
 * Per-operation memoised reads, so a list of templates by one author reads
 * that author once. They live as long as the operation; for a subscription
 * that is its whole life, which is fine for organisations and locations
 * (fixed reference data) and is why authors come from the event instead.
 */
export interface GraphQLLoaders {
  user(id: string): Promise<User | null>;
  organization(id: string): Promise<Organization | null>;
  location(id: string): Promise<Location | null>;
  locationsOfOrganization(organizationId: string): Promise<Location[]>;
}

/** What every resolver receives. */
export interface GraphQLContext {
  /** The authenticated caller. */
  readonly viewer: User;
  readonly store: Store;
  readonly fanout: TemplateEventFeed;
  readonly publishEvent: PublishEvent;
  readonly logger: Logger;
  /** The WebSocket connection running the operation; undefined over HTTP. */
  readonly connectionId: string | undefined;
  readonly loaders: GraphQLLoaders;
}

export interface GraphQLContextOptions {
  readonly viewer: User;
  readonly store: Store;
  readonly fanout: TemplateEventFeed;
  readonly publishEvent: PublishEvent;
  readonly logger: Logger;
  readonly connectionId?: string;
}

/** Builds the context for one operation (one HTTP request or subscribe). */
export function createGraphQLContext(
  options: GraphQLContextOptions,
): GraphQLContext {
  const { store } = options;
  return {
    viewer: options.viewer,
    store,
    fanout: options.fanout,
    publishEvent: options.publishEvent,
    logger: options.logger,
    connectionId: options.connectionId,
    loaders: {
      user: memoize((id) => store.getUser(id)),
      organization: memoize((id) => store.getOrganization(id)),
      location: memoize((id) => store.getLocation(id)),
      locationsOfOrganization: memoize((id) =>
        store.listLocationsOfOrganization(id),
      ),
    },
  };
}

function memoize<T>(
  load: (key: string) => Promise<T>,
): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let pending = cache.get(key);
    if (pending === undefined) {
      pending = load(key);
      // A failed read is not remembered: the next resolver tries again.
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    return pending;
  };
}
