import { validateAddTemplateInput } from '../domain/addTemplateInput.js';
import { isSafeId } from '../domain/safeText.js';
import { validateTemplatesPageSize } from '../domain/templatesPageSize.js';
import type {
  Location,
  Organization,
  Template,
  TemplateEvent,
  User,
} from '../domain/types.js';
import { dateTimeScalar } from './dateTimeScalar.js';
import type { GraphQLContext } from './GraphQLContext.js';
import { PublishDeadlineExceededError } from './withPublishDeadline.js';

/**
 * A template as resolvers pass it on. `author` is the snapshot a template
 * event carries: when present, `createdBy` needs no store read, which matters
 * for subscriptions where one event is resolved once per subscriber.
 */
export type TemplateParent = Template & { readonly author?: User };

type Resolver<TParent, TArgs, TResult> = (
  parent: TParent,
  args: TArgs,
  context: GraphQLContext,
) => TResult | Promise<TResult>;

type NoArgs = Record<string, never>;

interface AddTemplateArgs {
  readonly input: {
    readonly name: string;
    readonly shareLocationIds: readonly string[];
  };
}

function fromEvent(event: TemplateEvent): TemplateParent {
  return { ...event.template, author: event.author };
}

const addTemplate: Resolver<unknown, AddTemplateArgs, TemplateParent> = async (
  _root,
  { input },
  { viewer, store, publishEvent, logger },
) => {
  // Shape first (no I/O), then the store checks existence and reach inside
  // the transaction that writes the template and its event.
  const validInput = validateAddTemplateInput(input);
  const event = await store.addTemplate(viewer.id, validInput);
  const ids = { eventId: event.id, templateId: event.template.id };
  const markPublished = async () => {
    try {
      await store.markEventPublished(event.id);
    } catch (err) {
      // Harmless: the relay publishes it again and buses drop the duplicate.
      logger.warn({ err, ...ids }, 'marking template event published failed');
    }
  };

  try {
    await publishEvent(event);
  } catch (err) {
    // The template and its event are committed: the outbox relay publishes
    // the event later, so the caller still gets a success.
    if (err instanceof PublishDeadlineExceededError) {
      logger.warn(
        { ...ids, deadlineMillis: err.deadlineMillis },
        'template event publish timed out, left to the outbox relay',
      );
      // Should the bus accept it after all, record that, so the relay does
      // not publish it a second time. A late refusal the bus has logged.
      void err.publishing.then(markPublished, () => undefined);
    } else {
      logger.warn(
        { err, ...ids },
        'template event publish failed, left to the outbox relay',
      );
    }
    return fromEvent(event);
  }

  await markPublished();
  logger.debug({ ...ids, userId: viewer.id }, 'template added');
  return fromEvent(event);
};

const templateAdded = {
  // Runs only over WebSocket: the server refuses subscriptions over HTTP.
  subscribe: ((_root, _args, { viewer, fanout, connectionId }) =>
    fanout.subscribe({
      userId: viewer.id,
      organizationId: viewer.organizationId,
      locationId: viewer.locationId,
      connectionId,
    })) satisfies Resolver<
    unknown,
    NoArgs,
    AsyncIterableIterator<TemplateEvent>
  >,
  resolve: ((event) => fromEvent(event)) satisfies Resolver<
    TemplateEvent,
    NoArgs,
    TemplateParent
  >,
};

/** Resolvers for `typeDefs`; parents are the domain types. */
export const resolvers = {
  DateTime: dateTimeScalar,

  Query: {
    me: ((_root, _args, { viewer }) => viewer) satisfies Resolver<
      unknown,
      NoArgs,
      User
    >,
    templates: ((_root, { first }, { viewer, store }) =>
      store.listVisibleTemplates(
        viewer,
        validateTemplatesPageSize(first),
      )) satisfies Resolver<unknown, { first: number }, TemplateParent[]>,
    // An id no template could have (NUL, unpaired surrogates) names none;
    // the store is not asked, as PostgreSQL would fail on it.
    template: ((_root, { id }, { viewer, store }) =>
      isSafeId(id)
        ? store.getVisibleTemplate(viewer, id)
        : null) satisfies Resolver<
      unknown,
      { readonly id: string },
      TemplateParent | null
    >,
  },

  Mutation: { addTemplate },

  Subscription: { templateAdded },

  Template: {
    createdBy: (async (template, _args, { loaders }) => {
      if (template.author !== undefined) return template.author;
      const author = await loaders.user(template.createdById);
      if (author === null) {
        // Templates reference users by foreign key; this is a broken store.
        throw new Error(
          `author ${template.createdById} of template ${template.id} not found`,
        );
      }
      return author;
    }) satisfies Resolver<TemplateParent, NoArgs, User>,
  },

  User: {
    organization: ((user, _args, { loaders }) =>
      user.organizationId === null
        ? null
        : loaders.organization(user.organizationId)) satisfies Resolver<
      User,
      NoArgs,
      Organization | null
    >,
    location: ((user, _args, { loaders }) =>
      user.locationId === null
        ? null
        : loaders.location(user.locationId)) satisfies Resolver<
      User,
      NoArgs,
      Location | null
    >,
  },

  Organization: {
    locations: ((organization, _args, { loaders }) =>
      loaders.locationsOfOrganization(organization.id)) satisfies Resolver<
      Organization,
      NoArgs,
      Location[]
    >,
  },

  Location: {
    organization: (async (location, _args, { loaders }) => {
      const organization = await loaders.organization(location.organizationId);
      if (organization === null) {
        throw new Error(
          `organization ${location.organizationId} of location ${location.id} not found`,
        );
      }
      return organization;
    }) satisfies Resolver<Location, NoArgs, Organization>,
  },
};
