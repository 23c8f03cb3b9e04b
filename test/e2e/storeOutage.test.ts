import pg from 'pg';

import type { User } from '../../src/domain/types.js';
import { SERVICE_UNAVAILABLE_MESSAGE } from '../../src/graphql/isServiceUnavailableError.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { refusedCloseCode } from '../support/feedClient.js';
import { ADD_TEMPLATE, postGraphQL } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { ADMIN_DATABASE_URL } from '../support/testDatabase.js';
import { seedUserTokens } from '../support/tokens.js';

/**
 * The test's database stops accepting connections and its open ones are
 * ended, as in a failover: PostgreSQL itself answers every new connection
 * with FATAL "database ... is not currently accepting connections".
 */
async function setConnectionsAllowed(
  databaseName: string,
  allowed: boolean,
): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(
      `ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS ${allowed}`,
    );
    if (!allowed) {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [databaseName],
      );
    }
  } finally {
    await admin.end();
  }
}

describe('a database outage', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;
  // When set, the server reads users from seed data and everything else
  // from the (unreachable) database: authentication passes, resolvers fail.
  let usersFromSeedData = false;
  const seedUsers = new MemoryStore();

  beforeAll(async () => {
    instance = await startTestServer({
      serverStore: (store) =>
        Object.assign(Object.create(store) as typeof store, {
          getUser: (id: string): Promise<User | null> =>
            usersFromSeedData ? seedUsers.getUser(id) : store.getUser(id),
        }),
    });
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await setConnectionsAllowed(instance.database.name, true);
    await instance.stop();
  });

  beforeEach(() => {
    instance.logs.lines.length = 0;
  });

  afterEach(async () => {
    usersFromSeedData = false;
    await setConnectionsAllowed(instance.database.name, true);
  });

  const errorLines = () =>
    instance.logs.lines.filter((line) =>
      ['error', 'fatal'].includes(line.level),
    );

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the caller cannot be authenticated', async () => {
    await setConnectionsAllowed(instance.database.name, false);

    const response = await postGraphQL(instance.graphqlUrl, {
      query: '{ me { id } }',
      token: tokens.zowi,
    });

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.errors).toEqual([
      {
        message: SERVICE_UNAVAILABLE_MESSAGE,
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      },
    ]);
    expect(JSON.stringify(response.errors)).not.toContain(
      instance.database.name,
    );
    expect(errorLines()).toEqual([]);
    expect(
      instance.logs.withMessage('authentication could not be decided'),
    ).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('answers 503 SERVICE_UNAVAILABLE when a resolver cannot reach the store', async () => {
    usersFromSeedData = true;
    await setConnectionsAllowed(instance.database.name, false);

    const query = await postGraphQL(instance.graphqlUrl, {
      query: '{ templates { id } }',
      token: tokens.zowi,
    });
    const mutation = await postGraphQL(instance.graphqlUrl, {
      query: ADD_TEMPLATE,
      variables: { input: { name: 'x', shareLocationIds: ['location-3'] } },
      token: tokens.zowi,
    });

    for (const response of [query, mutation]) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.data).toBeNull();
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: SERVICE_UNAVAILABLE_MESSAGE,
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        }),
      ]);
    }
    expect(errorLines()).toEqual([]);
    expect(
      instance.logs.withMessage(
        'graphql operation failed, a dependency is unavailable',
      ),
    ).toHaveLength(2);
  });

  it('closes a WebSocket opened during the outage with 1013, which clients retry', async () => {
    await setConnectionsAllowed(instance.database.name, false);
    expect(
      await refusedCloseCode(instance.wsUrl, {
        authorization: `Bearer ${tokens.zolo}`,
      }),
    ).toBe(1013);
    expect(errorLines()).toEqual([]);
  });

  it('answers normally again once the database is back', async () => {
    await setConnectionsAllowed(instance.database.name, false);
    const during = await postGraphQL(instance.graphqlUrl, {
      query: '{ me { id } }',
      token: tokens.zowi,
    });
    expect(during.status).toBe(503);

    await setConnectionsAllowed(instance.database.name, true);
    const after = await postGraphQL(instance.graphqlUrl, {
      query: '{ me { id } }',
      token: tokens.zowi,
    });
    expect(after.status).toBe(200);
    expect(after.data).toEqual({ me: { id: 'zowi' } });
  });
});
