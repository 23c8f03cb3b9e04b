import {
  postGraphQL,
  type GraphQLResponseError,
} from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import {
  openRawGraphQLSocket,
  type RawGraphQLSocket,
  type WireError,
} from '../server/rawGraphQLSocket.js';
import { waitUntil } from '../support/waitUntil.js';

/**
 * `{ me { location { ... } } }` with `levels` rounds of
 * `organization { locations { ... } }` in between: 2 + 2 * levels + 1
 * field levels, each `locations` multiplying the response.
 */
function nestedQuery(levels: number, root = 'query { me'): string {
  const nest = (remaining: number): string =>
    remaining === 0
      ? 'id'
      : `id organization { id locations { ${nest(remaining - 1)} } }`;
  return `${root} { location { ${nest(levels)} } } }`;
}

function aliasedQuery(aliases: number): string {
  const fields = Array.from(
    { length: aliases },
    (_, index) => `a${index}: templates { id createdBy { id } }`,
  );
  return `query { ${fields.join(' ')} }`;
}

/**
 * Depth 7 and no alias, but 500 selections at the bottom. (A thousand would
 * exceed graphql's own budget for comparing same-named fields first.)
 */
function costlyQuery(): string {
  return `query { me { location { organization { locations { organization { locations { ${'id '.repeat(500)}} } } } } } }`;
}

const DEEPEST_USEFUL_SUBSCRIPTION = `subscription {
  templateAdded {
    id
    createdBy { organization { locations { organization { name } } } }
  }
}`;

interface Transport {
  /** The errors `query` gets, and the HTTP status where there is one. */
  errorsOf(
    query: string,
  ): Promise<readonly (GraphQLResponseError | WireError)[]>;
}

describe('query limits', () => {
  let instance: TestServer;
  let token: string;
  let socket: RawGraphQLSocket;
  let nextId = 0;

  const http: Transport = {
    async errorsOf(query) {
      const response = await postGraphQL(instance.graphqlUrl, { query, token });
      return response.errors ?? [];
    },
  };
  const webSocket: Transport = {
    async errorsOf(query) {
      const id = `op-${(nextId += 1)}`;
      socket.subscribe(id, query);
      await socket.barrier();
      // A refusal comes before the pong; a query's result may follow it.
      await waitUntil(
        () =>
          socket.messages.some(
            (message) =>
              message.id === id &&
              (message.type === 'error' || message.type === 'complete'),
          ),
        `an answer for ${id}`,
      );
      const inNext = socket
        .nextsOf(id)
        .flatMap(
          (payload) => (payload as { errors?: WireError[] }).errors ?? [],
        );
      return [...socket.errorsOf(id), ...inNext];
    },
  };

  beforeAll(async () => {
    instance = await startTestServer();
    token = (await seedUserTokens()).zowi!;
    socket = await openRawGraphQLSocket(instance.wsUrl, {
      authorization: `Bearer ${token}`,
    });
  });

  afterAll(async () => {
    await socket.close();
    await instance.stop();
  });

  describe.each([
    ['HTTP', () => http],
    ['WebSocket', () => webSocket],
  ])('over %s', (_name, transport) => {
    it('refuses a query nested deeper than 8 fields, naming the limit', async () => {
      // 2 + 2 * 4 + 1 = 11 levels: the reviewer's "depth 4" (rv-deep.mjs).
      const errors = await transport().errorsOf(nestedQuery(4));

      expect(errors).toEqual([
        expect.objectContaining({
          message: 'Query depth limit of 8 exceeded, found 11.',
          extensions: expect.objectContaining({
            code: 'GRAPHQL_VALIDATION_FAILED',
          }) as unknown,
        }),
      ]);
    });

    it('refuses more than 15 aliases', async () => {
      const errors = await transport().errorsOf(aliasedQuery(16));

      expect(errors).toEqual([
        expect.objectContaining({
          message: 'Aliases limit of 15 exceeded, found 16.',
          extensions: expect.objectContaining({
            code: 'GRAPHQL_VALIDATION_FAILED',
          }) as unknown,
        }),
      ]);
    });

    it('refuses a query whose cost is over 5000', async () => {
      const errors = await transport().errorsOf(costlyQuery());

      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(
        /^Query Cost limit of 5000 exceeded, found [\d.]+\.$/,
      );
      expect(errors[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('refuses a document of more than 2000 tokens as a parse failure', async () => {
      const query = `query { me { ${'id '.repeat(2_000)}} }`;

      const errors = await transport().errorsOf(query);

      expect(errors).toHaveLength(1);
      // graphql words it "more that 2000 tokens".
      expect(errors[0]?.message).toMatch(
        /^Syntax Error: Document contains more \w+ 2000 tokens\. Parsing aborted\.$/,
      );
      expect(errors[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('runs queries within the limits', async () => {
      const errors = await transport().errorsOf(nestedQuery(2));

      expect(errors).toEqual([]);
    });
  });

  it('runs the deepest subscription the schema is useful for', async () => {
    socket.subscribe('deepest', DEEPEST_USEFUL_SUBSCRIPTION);
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === 1,
      'the subscription is registered',
    );
    socket.complete('deepest');

    expect(socket.errorsOf('deepest')).toEqual([]);
  });

  it('runs a query with 15 aliases', async () => {
    expect(await http.errorsOf(aliasedQuery(15))).toEqual([]);
  });
});
