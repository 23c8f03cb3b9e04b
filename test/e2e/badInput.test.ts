import { CloseCode } from 'graphql-ws';

import { connectFeed, refusedCloseCode } from '../support/feedClient.js';
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

describe('bad input', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  /**
   * Sends `request`, then checks that nothing was written and that the
   * server still answers a good request.
   */
  async function rejected(
    request: Parameters<typeof postGraphQL>[1],
  ): Promise<GraphQLHttpResponse> {
    const rowsBefore = await instance.countTemplateRows();
    const response = await postGraphQL(instance.graphqlUrl, request);
    expect(await instance.countTemplateRows()).toBe(rowsBefore);
    const healthy = await postGraphQL<{ me: { id: string } }>(
      instance.graphqlUrl,
      { query: '{ me { id } }', token: tokens.zowi },
    );
    expect(healthy.data).toEqual({ me: { id: 'zowi' } });
    return response;
  }

  const addAs = (
    userId: string,
    input: { name: unknown; shareLocationIds: unknown },
  ) =>
    rejected({
      query: ADD_TEMPLATE,
      variables: { input },
      token: tokens[userId],
    });

  const onlyError = (response: GraphQLHttpResponse) => {
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.extensions).not.toHaveProperty('stacktrace');
    return error!;
  };

  const goodInput = { name: 'fine', shareLocationIds: ['location-3'] };

  describe('over HTTP, authentication', () => {
    it('answers a request without a token with 401 UNAUTHENTICATED', async () => {
      const response = await rejected({
        query: ADD_TEMPLATE,
        variables: { input: goodInput },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.data).toBeUndefined();
      expect(onlyError(response).extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('answers a token signed with another secret with 401 UNAUTHENTICATED', async () => {
      const forged = await signToken('zowi', {
        secret: 'not-the-secret-the-server-uses-at-all',
      });
      const response = await rejected({
        query: ADD_TEMPLATE,
        variables: { input: goodInput },
        token: forged,
      });
      expect(response.status).toBe(401);
      expect(onlyError(response)).toMatchObject({
        message: 'the token is invalid',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    });

    it('answers an expired token with 401 UNAUTHENTICATED', async () => {
      const expired = await signToken('zowi', {
        expiresAtSeconds: Math.floor(Date.now() / 1_000) - 600,
      });
      const response = await rejected({
        query: ADD_TEMPLATE,
        variables: { input: goodInput },
        token: expired,
      });
      expect(response.status).toBe(401);
      expect(onlyError(response)).toMatchObject({
        message: 'the token has expired',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    });

    it('answers a token for a user that does not exist with 401', async () => {
      const response = await rejected({
        query: '{ me { id } }',
        token: await signToken('nobody'),
      });
      expect(response.status).toBe(401);
      expect(onlyError(response).extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('answers a non-Bearer Authorization header with 401', async () => {
      const response = await rejected({
        query: '{ me { id } }',
        authorization: `Basic ${Buffer.from('zowi:pw').toString('base64')}`,
      });
      expect(response.status).toBe(401);
      expect(onlyError(response).extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('over HTTP, addTemplate', () => {
    it('refuses an unknown location with BAD_USER_INPUT naming it', async () => {
      const response = await addAs('zowi', {
        name: 'x',
        shareLocationIds: ['location-3', 'location-99'],
      });
      expect(response.status).toBe(200);
      const error = onlyError(response);
      expect(error.message).toContain('location-99');
      expect(error.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'shareLocationIds',
        unknownLocationIds: ['location-99'],
      });
      expect(error.path).toEqual(['addTemplate']);
    });

    it('refuses an empty name with BAD_USER_INPUT', async () => {
      const response = await addAs('zowi', {
        name: '',
        shareLocationIds: ['location-3'],
      });
      expect(onlyError(response).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'name',
      });
    });

    it('refuses a name of only spaces with BAD_USER_INPUT', async () => {
      const response = await addAs('zowi', {
        name: '   ',
        shareLocationIds: ['location-3'],
      });
      expect(onlyError(response).extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses a 10,000-character name with BAD_USER_INPUT', async () => {
      const response = await addAs('zowi', {
        name: 'n'.repeat(10_000),
        shareLocationIds: ['location-3'],
      });
      expect(onlyError(response).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'name',
      });
    });

    it('refuses an empty share list with BAD_USER_INPUT', async () => {
      const response = await addAs('zowi', {
        name: 'x',
        shareLocationIds: [],
      });
      expect(onlyError(response).extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'shareLocationIds',
      });
    });

    it('refuses a share with another organisation with FORBIDDEN', async () => {
      const response = await addAs('zowi', {
        name: 'x',
        shareLocationIds: ['location-1', 'location-4'],
      });
      expect(onlyError(response)).toMatchObject({
        extensions: {
          code: 'FORBIDDEN',
          forbiddenLocationIds: ['location-4'],
        },
      });
    });

    it('refuses a share beyond a user’s own location when they have no organisation', async () => {
      const response = await addAs('zolo', {
        name: 'x',
        shareLocationIds: ['location-1'],
      });
      expect(onlyError(response).extensions?.code).toBe('FORBIDDEN');
    });

    it('refuses variables of the wrong type with BAD_USER_INPUT', async () => {
      const response = await addAs('zowi', {
        name: 42,
        shareLocationIds: 'location-3',
      });
      expect(response.status).toBe(400);
      expect(onlyError(response).extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('over HTTP, the request itself', () => {
    it('answers GraphQL that does not parse with GRAPHQL_PARSE_FAILED', async () => {
      const response = await rejected({
        query: 'mutation { addTemplate(input: {',
        token: tokens.zowi,
      });
      expect(response.status).toBe(400);
      expect(onlyError(response).extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('answers GraphQL that does not fit the schema with GRAPHQL_VALIDATION_FAILED', async () => {
      const response = await rejected({
        query: '{ me { id password } }',
        token: tokens.zowi,
      });
      expect(response.status).toBe(400);
      expect(onlyError(response).extensions?.code).toBe(
        'GRAPHQL_VALIDATION_FAILED',
      );
    });

    it('answers a subscription sent over HTTP with 400, pointing at the WebSocket', async () => {
      const response = await rejected({
        query: 'subscription { templateAdded { id } }',
        token: tokens.zolo,
      });
      expect(response.status).toBe(400);
      expect(onlyError(response)).toEqual({
        message:
          'subscriptions run over WebSocket (graphql-transport-ws) at /graphql',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(instance.logs.withMessage('graphql operation failed')).toEqual([]);
    });

    it('answers a body that is not JSON with 400 BAD_USER_INPUT', async () => {
      const response = await rejected({
        rawBody: '{"query": "{ me { id } }"',
        token: tokens.zowi,
      });
      expect(response.status).toBe(400);
      expect(onlyError(response)).toEqual({
        message: 'the request body is not valid JSON',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    });
  });

  describe('over WebSocket', () => {
    it('closes a connection without a token with 4401', async () => {
      expect(await refusedCloseCode(instance.wsUrl, {})).toBe(
        CloseCode.Unauthorized,
      );
    });

    it('closes a connection with a forged or expired token with 4403', async () => {
      const forged = await signToken('zowi', {
        secret: 'not-the-secret-the-server-uses-at-all',
      });
      const expired = await signToken('zowi', {
        expiresAtSeconds: Math.floor(Date.now() / 1_000) - 600,
      });
      for (const token of [forged, expired, 'garbage']) {
        expect(
          await refusedCloseCode(instance.wsUrl, {
            authorization: `Bearer ${token}`,
          }),
        ).toBe(CloseCode.Forbidden);
      }
    });

    it('never logs the token it refused', async () => {
      const forged = await signToken('zowi', {
        secret: 'another-secret-entirely',
      });
      await refusedCloseCode(instance.wsUrl, {
        authorization: `Bearer ${forged}`,
      });
      expect(instance.logs.text()).not.toContain(forged);
      expect(instance.logs.text()).not.toContain('Bearer');
    });

    it('answers a subscription that does not parse with an error and keeps the socket open', async () => {
      const broken = await connectFeed(instance.wsUrl, tokens.zolo, {
        query: 'subscription { templateAdded {',
      });
      try {
        await broken.barrier();
        expect(broken.errors).toHaveLength(1);
        expect(broken.errors[0]).toMatchObject({
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        });
        expect(broken.closeCode).toBeUndefined();
      } finally {
        await broken.dispose();
      }
    });

    it('answers a subscription to an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
      const wrong = await connectFeed(instance.wsUrl, tokens.zolo, {
        query: 'subscription { templateRemoved { id } }',
      });
      try {
        await wrong.barrier();
        expect(wrong.errors).toHaveLength(1);
        expect(wrong.errors[0]).toMatchObject({
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        });
      } finally {
        await wrong.dispose();
      }
    });
  });
});

describe('bad input in production mode', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer({
      isProduction: true,
      serverStore: (store) =>
        Object.assign(Object.create(store) as typeof store, {
          listVisibleTemplates: () =>
            Promise.reject(new Error('relation "templates" is on fire')),
        }),
    });
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('hides an internal error behind a generic message and logs it in full', async () => {
    const response = await postGraphQL(instance.graphqlUrl, {
      query: '{ templates { id } }',
      token: tokens.zowi,
    });
    expect(response.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [{ line: 1, column: 3 }],
        path: ['templates'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(response.errors)).not.toContain('on fire');

    const logged = instance.logs.withMessage('graphql operation failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'error',
      path: ['templates'],
      err: { message: 'relation "templates" is on fire' },
    });
    expect((logged[0]!.err as { stack: string }).stack).toContain('Error:');
  });

  it('still shows domain errors their own message', async () => {
    const response = await postGraphQL(instance.graphqlUrl, {
      query: ADD_TEMPLATE,
      variables: { input: { name: 'x', shareLocationIds: ['location-4'] } },
      token: tokens.zowi,
    });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringContaining('location-4') as unknown,
      extensions: { code: 'FORBIDDEN' },
    });
  });
});
