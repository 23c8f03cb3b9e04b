import { CloseCode } from 'graphql-ws';

import { refusedCloseCode } from '../support/feedClient.js';
import {
  ADD_TEMPLATE,
  postGraphQL,
  type GraphQLHttpResponse,
} from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens, signToken } from '../support/tokens.js';

/**
 * Characters PostgreSQL cannot store (NUL, unpaired surrogates) used to
 * reach it and come back as INTERNAL_SERVER_ERROR with an error log line
 * per request. They are the client's mistake and must be answered as such.
 */
describe('input PostgreSQL cannot store', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  beforeEach(() => {
    instance.logs.lines.length = 0;
  });

  afterEach(() => {
    // None of these is our fault: nothing at error level, ever.
    expect(
      instance.logs.lines.filter((line) =>
        ['error', 'fatal'].includes(line.level),
      ),
    ).toEqual([]);
  });

  const onlyError = (response: GraphQLHttpResponse) => {
    expect(response.errors).toHaveLength(1);
    return response.errors![0]!;
  };

  async function addAsZowi(input: {
    name: string;
    shareLocationIds: string[];
  }): Promise<GraphQLHttpResponse> {
    const rowsBefore = await instance.countTemplateRows();
    const response = await postGraphQL(instance.graphqlUrl, {
      query: ADD_TEMPLATE,
      variables: { input },
      token: tokens.zowi,
    });
    expect(await instance.countTemplateRows()).toBe(rowsBefore);
    return response;
  }

  it.each([
    ['a NUL', 'a\u0000b'],
    ['an unpaired high surrogate', 'a\ud800b'],
    ['an unpaired low surrogate', '\udc00'],
    ['a bell', 'report\u0007'],
    ['nothing visible', '\u200b\u200b'],
  ])(
    'refuses a name with %s as BAD_USER_INPUT on name',
    async (_what, name) => {
      const response = await addAsZowi({
        name,
        shareLocationIds: ['location-3'],
      });
      expect(response.status).toBe(200);
      expect(onlyError(response).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'name',
      });
    },
  );

  it.each([
    ['a NUL', 'location-3\u0000'],
    ['an unpaired surrogate', 'location-\ud800'],
    ['10,000 characters', 'l'.repeat(10_000)],
  ])(
    'refuses a location id with %s as BAD_USER_INPUT, without echoing it',
    async (_what, id) => {
      const response = await addAsZowi({
        name: 'fine',
        shareLocationIds: ['location-3', id],
      });
      const error = onlyError(response);
      expect(error.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'shareLocationIds',
      });
      expect(JSON.stringify(response.errors).length).toBeLessThan(1_000);
    },
  );

  it('stores a name of 200 emoji, counted as 200 characters', async () => {
    const name = '\u{1F600}'.repeat(200);
    const response = await postGraphQL<{ addTemplate: { name: string } }>(
      instance.graphqlUrl,
      {
        query: ADD_TEMPLATE,
        variables: { input: { name, shareLocationIds: ['location-3'] } },
        token: tokens.zowi,
      },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.addTemplate.name).toBe(name);
  });

  it('answers null for template(id) with a NUL or unpaired surrogate', async () => {
    for (const id of ['\u0000', 'abc\ud800', 'x'.repeat(10_000)]) {
      const response = await postGraphQL(instance.graphqlUrl, {
        query: 'query ($id: ID!) { template(id: $id) { id } }',
        variables: { id },
        token: tokens.zowi,
      });
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ template: null });
    }
  });

  it.each([
    ['a NUL', 'zo\u0000wi'],
    ['an unpaired surrogate', 'zowi\ud800'],
  ])(
    'answers a signed token whose sub has %s with 401 UNAUTHENTICATED',
    async (_what, sub) => {
      const response = await postGraphQL(instance.graphqlUrl, {
        query: '{ me { id } }',
        token: await signToken(sub),
      });
      expect(response.status).toBe(401);
      expect(onlyError(response)).toMatchObject({
        message: 'the token is invalid',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    },
  );

  it('closes a WebSocket whose token sub has a NUL with 4403', async () => {
    expect(
      await refusedCloseCode(instance.wsUrl, {
        authorization: `Bearer ${await signToken('zo\u0000wi')}`,
      }),
    ).toBe(CloseCode.Forbidden);
  });
});
