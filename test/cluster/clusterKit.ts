import { randomBytes } from 'node:crypto';

import type { PubSub } from '@google-cloud/pubsub';
import pg from 'pg';

import { connectFeed, type FeedClient } from '../support/feedClient.js';
import { postGraphQL } from '../support/graphqlHttp.js';
import type {
  InstanceLogLine,
  RunningInstance,
} from '../support/startInstance.js';

/** A suffix no other suite uses, for topics and instance ids. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Short names of the subscriptions on `topic`. */
export async function subscriptionsOf(
  admin: PubSub,
  topic: string,
): Promise<string[]> {
  const [names] = await admin.topic(topic).getSubscriptions();
  return names.map((subscription) => subscription.name.split('/').pop()!);
}

/** Where an instance answers; a RunningInstance is one. */
export interface ClusterEndpoint {
  readonly label: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
}

/**
 * Where each seed user's clients connect, by instance index (0-based):
 * zowi twice on the first, zolo and zapa on the second, zewi and zuri on
 * the third, zelo on the fourth.
 */
export const SEED_PLACEMENT = [
  ['zowi#1', 'zowi', 0],
  ['zowi#2', 'zowi', 0],
  ['zolo', 'zolo', 1],
  ['zapa', 'zapa', 1],
  ['zewi', 'zewi', 2],
  ['zuri', 'zuri', 2],
  ['zelo', 'zelo', 3],
] as const;

export type SeedLabel = (typeof SEED_PLACEMENT)[number][0];

/** Every seed client, by label; `dispose()` closes them all. */
export interface SeedFeeds {
  readonly byLabel: Readonly<Record<SeedLabel, FeedClient>>;
  readonly all: readonly FeedClient[];
  /** What each client received so far: template ids, in order. */
  receivedIds(): Record<SeedLabel, string[]>;
  dispose(): Promise<void>;
}

/**
 * Connects the seed users' clients as SEED_PLACEMENT says and waits until
 * every subscription is registered on its instance.
 */
export async function connectSeedFeeds(
  instances: readonly ClusterEndpoint[],
  tokens: Record<string, string>,
): Promise<SeedFeeds> {
  const entries = await Promise.all(
    SEED_PLACEMENT.map(async ([label, userId, index]) => {
      const instance = instances[index];
      if (instance === undefined) throw new Error(`no instance ${index + 1}`);
      const feed = await connectFeed(instance.wsUrl, tokens[userId], {
        label: `${label}@${instance.label}`,
      });
      return [label, feed] as const;
    }),
  );
  const all = entries.map(([, feed]) => feed);
  await Promise.all(all.map((feed) => feed.barrier()));
  const byLabel = Object.fromEntries(entries) as Record<SeedLabel, FeedClient>;
  return {
    byLabel,
    all,
    receivedIds: () =>
      Object.fromEntries(
        entries.map(([label, feed]) => [
          label,
          feed.received.map((template) => template.id),
        ]),
      ) as Record<SeedLabel, string[]>,
    dispose: async () => {
      await Promise.all(all.map((feed) => feed.dispose()));
    },
  };
}

const TEMPLATE_QUERY = /* GraphQL */ `
  query Template($id: ID!) {
    template(id: $id) {
      id
      name
      shareLocationIds
      createdBy {
        id
      }
    }
  }
`;

/** `template(id)` as the token's user; throws on any GraphQL error. */
export async function queryTemplate(
  graphqlUrl: string,
  token: string,
  id: string,
): Promise<unknown> {
  const response = await postGraphQL<{ template: unknown }>(graphqlUrl, {
    query: TEMPLATE_QUERY,
    variables: { id },
    token,
  });
  if (response.errors !== undefined) {
    throw new Error(`template(id) failed: ${JSON.stringify(response.errors)}`);
  }
  return response.data?.template;
}

/** The ids of every event the store has written. */
export async function storedEventIds(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      'SELECT id FROM template_events',
    );
    return rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

/** The event the store wrote for template `templateId`: id and payload. */
export async function storedEvent(
  databaseUrl: string,
  templateId: string,
): Promise<{ readonly id: string; readonly payload: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; payload: string }>(
      `SELECT id, payload::text AS payload FROM template_events
        WHERE payload -> 'template' ->> 'id' = $1`,
      [templateId],
    );
    if (rows[0] === undefined) {
      throw new Error(`no stored event for template ${templateId}`);
    }
    return rows[0];
  } finally {
    await client.end();
  }
}

/** The lines `instance` logged with `message`, so far. */
export function logged(
  instance: RunningInstance,
  message: string,
): InstanceLogLine[] {
  return instance.logs.filter((line) => line.message === message);
}

/**
 * How long "nothing more arrived" is waited for before it is believed. Not
 * a timing assertion: every such wait is followed by an event the same
 * clients must receive, showing deliveries were flowing all along.
 */
export const QUIET_MILLIS = 500;
