import {
  createMetrics,
  type TemplateFeedMetrics,
} from '../../src/server/metrics/createMetrics.js';
import { connectFeed, refusedCloseCode } from '../support/feedClient.js';
import { ADD_TEMPLATE, postGraphQL } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens, signToken } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import { parseMetrics, type MetricsSnapshot } from './scrapeMetrics.js';

/**
 * GraphQL operations counted by type and outcome, over HTTP and WebSocket,
 * and the access line of each /graphql request; one server in this process,
 * wired as main.ts wires it.
 */
describe('GraphQL operation metrics and access lines', () => {
  let instance: TestServer;
  let metrics: TemplateFeedMetrics;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    metrics = createMetrics({ bus: 'memory', defaultMetrics: false });
    instance = await startTestServer({
      logLevel: 'debug',
      metrics,
      traceProjectId: 'test-project',
    });
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  const snapshot = async () => parseMetrics(await metrics.render());

  /** Runs `action` and returns how each operation series moved. */
  const operationsDuring = async (action: () => Promise<void>) => {
    const before = await snapshot();
    await action();
    const after = await snapshot();
    return movedSeries(before, after, 'template_feed_graphql_operations_total');
  };

  const accessLines = () => instance.logs.withMessage('graphql request');

  /**
   * The access line of the next request after `count` lines: it is written
   * when the server's side of the response closes, which may be just after
   * the client has read it.
   */
  const accessLineAfter = async (count: number) => {
    await waitUntil(
      () => accessLines().length > count,
      'an access line was written',
    );
    return accessLines()[count];
  };

  it('counts a query over HTTP and names it in its access line', async () => {
    const accessCount = accessLines().length;
    const moved = await operationsDuring(async () => {
      const response = await postGraphQL(instance.graphqlUrl, {
        query: 'query Me { me { id } }',
        token: tokens.zowi,
      });
      expect(response.data).toEqual({ me: { id: 'zowi' } });
    });
    expect(moved).toEqual({ 'query/success': 1 });
    expect(await accessLineAfter(accessCount)).toMatchObject({
      level: 'info',
      module: 'http',
      method: 'POST',
      operationName: 'Me',
      operationType: 'query',
      outcome: 'success',
      status: 200,
    });
  });

  it('counts a refused mutation under its error code', async () => {
    const accessCount = accessLines().length;
    const moved = await operationsDuring(async () => {
      const response = await postGraphQL(instance.graphqlUrl, {
        query: ADD_TEMPLATE,
        variables: { input: { name: 'x', shareLocationIds: ['location-4'] } },
        token: tokens.zowi,
      });
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
    expect(moved).toEqual({ 'mutation/FORBIDDEN': 1 });
    expect(await accessLineAfter(accessCount)).toMatchObject({
      operationName: 'AddTemplate',
      operationType: 'mutation',
      outcome: 'FORBIDDEN',
    });
  });

  it('counts a request without credentials as unknown and UNAUTHENTICATED', async () => {
    const accessCount = accessLines().length;
    const before = await snapshot();
    const moved = await operationsDuring(async () => {
      const response = await postGraphQL(instance.graphqlUrl, {
        query: 'query Me { me { id } }',
      });
      expect(response.status).toBe(401);
    });
    expect(moved).toEqual({ 'unknown/UNAUTHENTICATED': 1 });
    const after = await snapshot();
    expect(
      after.value('template_feed_authentication_failures_total', {
        transport: 'http',
      }) -
        before.value('template_feed_authentication_failures_total', {
          transport: 'http',
        }),
    ).toBe(1);
    expect(await accessLineAfter(accessCount)).toMatchObject({
      operationType: 'unknown',
      outcome: 'UNAUTHENTICATED',
      authFailure: 'missing',
      status: 401,
    });
  });

  it("ties the access line to the load balancer's trace of the request", async () => {
    const accessCount = accessLines().length;
    const traceId = '105445aa7843bc8bf206b12000100000';
    await postGraphQL(instance.graphqlUrl, {
      query: 'query Me { me { id } }',
      token: tokens.zolo,
      headers: { 'x-cloud-trace-context': `${traceId}/7;o=1` },
    });
    expect(await accessLineAfter(accessCount)).toMatchObject({
      'logging.googleapis.com/trace': `projects/test-project/traces/${traceId}`,
      operationName: 'Me',
      status: 200,
    });
  });

  it('says in the access line why a token was refused, never the token', async () => {
    const accessCount = accessLines().length;
    const expired = await signToken('zolo', {
      expiresAtSeconds: Math.floor(Date.now() / 1_000) - 60,
    });
    const response = await postGraphQL(instance.graphqlUrl, {
      query: 'query Me { me { id } }',
      token: expired,
    });
    expect(response.status).toBe(401);
    expect(await accessLineAfter(accessCount)).toMatchObject({
      outcome: 'UNAUTHENTICATED',
      authFailure: 'expired',
      status: 401,
    });
    expect(instance.logs.text()).not.toContain(expired);
  });

  it('counts documents that do not parse, and subscriptions sent over HTTP', async () => {
    const accessCount = accessLines().length;
    const moved = await operationsDuring(async () => {
      const unparsable = await postGraphQL(instance.graphqlUrl, {
        query: 'query {',
        token: tokens.zowi,
      });
      expect(unparsable.status).toBe(400);
      const subscription = await postGraphQL(instance.graphqlUrl, {
        query: 'subscription { templateAdded { id } }',
        token: tokens.zowi,
      });
      expect(subscription.status).toBe(400);
    });
    expect(moved).toEqual({
      'unknown/GRAPHQL_PARSE_FAILED': 1,
      'subscription/BAD_USER_INPUT': 1,
    });
    expect(await accessLineAfter(accessCount + 1)).toMatchObject({
      operationType: 'subscription',
      outcome: 'BAD_USER_INPUT',
      status: 400,
    });
  });

  it('counts and logs a body that is not JSON as unknown and BAD_USER_INPUT, as its access line says', async () => {
    const accessCount = accessLines().length;
    const moved = await operationsDuring(async () => {
      const response = await postGraphQL(instance.graphqlUrl, {
        rawBody: '{ not json',
        token: tokens.zowi,
      });
      expect(response.status).toBe(400);
    });
    expect(moved).toEqual({ 'unknown/BAD_USER_INPUT': 1 });
    expect(await accessLineAfter(accessCount)).toMatchObject({
      operationType: 'unknown',
      outcome: 'BAD_USER_INPUT',
      status: 400,
    });
  });

  it('counts subscriptions and queries over WebSocket, accepted or refused', async () => {
    const accessBefore = accessLines().length;
    const moved = await operationsDuring(async () => {
      const feed = await connectFeed(instance.wsUrl, tokens.zolo);
      const invalid = await connectFeed(instance.wsUrl, tokens.zolo, {
        query: 'subscription { nothingHere }',
      });
      const query = await connectFeed(instance.wsUrl, tokens.zolo, {
        query: 'query { me { id } }',
      });
      await Promise.all([feed, invalid, query].map((c) => c.barrier()));
      expect(invalid.errors).toEqual([
        expect.objectContaining({
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }),
      ]);
      await Promise.all([feed, invalid, query].map((c) => c.dispose()));
    });
    expect(moved).toEqual({
      'subscription/success': 1,
      'subscription/GRAPHQL_VALIDATION_FAILED': 1,
      'query/success': 1,
    });
    // WebSocket operations have no access line; their connection has.
    expect(accessLines()).toHaveLength(accessBefore);
  });

  it('logs a refused WebSocket at info, without its token', async () => {
    const before = await snapshot();
    const forged = `${tokens.zolo!.slice(0, -4)}AAAA`;
    expect(
      await refusedCloseCode(instance.wsUrl, {
        authorization: `Bearer ${forged}`,
      }),
    ).toBe(4403);
    const after = await snapshot();
    expect(
      after.value('template_feed_authentication_failures_total', {
        transport: 'websocket',
      }) -
        before.value('template_feed_authentication_failures_total', {
          transport: 'websocket',
        }),
    ).toBe(1);
    expect(
      instance.logs.withMessage('websocket connection refused').at(-1),
    ).toMatchObject({ level: 'info', reason: 'invalid', closeCode: 4403 });
    expect(instance.logs.text()).not.toContain(forged);
  });

  it('writes no access line for the probes or /metrics', async () => {
    const accessBefore = accessLines().length;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${instance.baseUrl}${path}`);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    expect(accessLines()).toHaveLength(accessBefore);
  });

  it('never logs a token or a request body', () => {
    const text = instance.logs.text();
    for (const token of Object.values(tokens)) {
      expect(text).not.toContain(token);
    }
    expect(text).not.toMatch(/Bearer|location-4|not json/);
  });
});

/** `type/outcome` of every series of `name` that moved, and by how much. */
function movedSeries(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  name: string,
): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const sample of after.family(name).metrics) {
    if (!('value' in sample) || sample.labels === undefined) continue;
    const { type = '', outcome = '' } = sample.labels;
    const change = Number(sample.value) - before.value(name, { type, outcome });
    if (change !== 0) moved[`${type}/${outcome}`] = change;
  }
  return moved;
}
