import { postGraphQL } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import {
  openRawGraphQLSocket,
  type RawGraphQLSocket,
  type WireError,
} from './rawGraphQLSocket.js';

const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';
const TYPE_INTROSPECTION = '{ __type(name: "Template") { fields { name } } }';
const MISSPELT = '{ templat(id: "template-1") { id } }';

const MISSPELT_VARIABLE = {
  query:
    'mutation ($input: AddTemplateInput!) { addTemplate(input: $input) { id } }',
  variables: { input: { nam: 'x', shareLocationIds: ['location-1'] } },
};

/** Both transports of one server, as the user zowi. */
interface Transports {
  overHttp(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<WireError[]>;
  overWebSocket(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<WireError[]>;
}

async function transportsOf(
  instance: TestServer,
  token: string,
  sockets: RawGraphQLSocket[],
): Promise<Transports> {
  const socket = await openRawGraphQLSocket(instance.wsUrl, {
    authorization: `Bearer ${token}`,
  });
  sockets.push(socket);
  let nextId = 0;
  return {
    async overHttp(query, variables) {
      const response = await postGraphQL(instance.graphqlUrl, {
        query,
        variables,
        token,
      });
      return [...(response.errors ?? [])];
    },
    async overWebSocket(query, variables) {
      const id = `op-${(nextId += 1)}`;
      socket.send({ id, type: 'subscribe', payload: { query, variables } });
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
}

describe('validation in production', () => {
  let production: TestServer;
  let development: TestServer;
  let inProduction: Transports;
  let inDevelopment: Transports;
  const sockets: RawGraphQLSocket[] = [];

  beforeAll(async () => {
    [production, development] = await Promise.all([
      startTestServer({ isProduction: true }),
      startTestServer(),
    ]);
    const token = (await seedUserTokens()).zowi!;
    inProduction = await transportsOf(production, token, sockets);
    inDevelopment = await transportsOf(development, token, sockets);
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([production.stop(), development.stop()]);
  });

  it.each([
    ['__schema', INTROSPECTION],
    ['__type', TYPE_INTROSPECTION],
  ])(
    'refuses introspection through %s over WebSocket as over HTTP',
    async (field, query) => {
      const overHttp = await inProduction.overHttp(query);
      const overWebSocket = await inProduction.overWebSocket(query);

      for (const errors of [overHttp, overWebSocket]) {
        expect(errors).toEqual([
          {
            message: `Introspection is disabled on this server; the query asks for ${field}.`,
            locations: [{ line: 1, column: 3 }],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ]);
      }
    },
  );

  it('answers introspection over WebSocket in development', async () => {
    const socket = sockets[1]!;
    socket.subscribe('introspection', INTROSPECTION);
    await waitUntil(
      () => socket.nextsOf('introspection').length === 1,
      'the introspection result',
    );

    const [result] = socket.nextsOf('introspection') as {
      data?: { __schema: { queryType: { name: string } } };
    }[];
    expect(result?.data?.__schema.queryType.name).toBe('Query');
  });

  it('leaves field suggestions out of messages on both transports', async () => {
    const overHttp = await inProduction.overHttp(MISSPELT);
    const overWebSocket = await inProduction.overWebSocket(MISSPELT);

    for (const errors of [overHttp, overWebSocket]) {
      expect(errors.map((error) => error.message)).toEqual([
        'Cannot query field "templat" on type "Query".',
      ]);
    }
  });

  it('leaves input field suggestions out of variable errors', async () => {
    const { query, variables } = MISSPELT_VARIABLE;
    const overHttp = await inProduction.overHttp(query, variables);
    const overWebSocket = await inProduction.overWebSocket(query, variables);

    for (const errors of [overHttp, overWebSocket]) {
      expect(errors.map((error) => error.message)).toEqual([
        'Variable "$input" got invalid value { nam: "x", shareLocationIds: ["location-1"] }; Field "name" of required type "String!" was not provided.',
        'Variable "$input" got invalid value { nam: "x", shareLocationIds: ["location-1"] }; Field "nam" is not defined by type "AddTemplateInput".',
      ]);
      expect(errors.map((error) => error.extensions?.code)).toEqual([
        'BAD_USER_INPUT',
        'BAD_USER_INPUT',
      ]);
    }
  });

  it('keeps field suggestions in development', async () => {
    const overHttp = await inDevelopment.overHttp(MISSPELT);
    const overWebSocket = await inDevelopment.overWebSocket(MISSPELT);

    for (const errors of [overHttp, overWebSocket]) {
      expect(errors.map((error) => error.message)).toEqual([
        'Cannot query field "templat" on type "Query". Did you mean "template" or "templates"?',
      ]);
    }
  });
});
