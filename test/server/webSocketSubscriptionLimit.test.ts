import { addTemplate } from '../support/graphqlHttp.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';
import {
  openRawGraphQLSocket,
  type RawGraphQLSocket,
} from './rawGraphQLSocket.js';

const TEMPLATE_ADDED = 'subscription { templateAdded { id } }';
const MAX_SUBSCRIPTIONS = 20;

describe('subscriptions per WebSocket connection', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;
  const open: RawGraphQLSocket[] = [];

  const connect = async (userId: string) => {
    const socket = await openRawGraphQLSocket(instance.wsUrl, {
      authorization: `Bearer ${tokens[userId]}`,
    });
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((socket) => socket.close()));
    await waitUntil(
      () => instance.fanout.subscriberCount === 0,
      'the closed sockets leave no subscriber',
    );
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('refuses a subscription beyond 20 with TOO_MANY_SUBSCRIPTIONS and keeps the socket open', async () => {
    const socket = await connect('zolo');
    for (let index = 0; index < MAX_SUBSCRIPTIONS + 5; index += 1) {
      socket.subscribe(`s${index}`, TEMPLATE_ADDED);
    }
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === MAX_SUBSCRIPTIONS,
      '20 subscriptions registered',
    );

    const refused = socket.messages.filter(
      (message) => message.type === 'error',
    );
    expect(refused.map((message) => message.id)).toEqual([
      's20',
      's21',
      's22',
      's23',
      's24',
    ]);
    expect(socket.errorsOf('s20')).toEqual([
      {
        message:
          'This connection already runs 20 subscriptions, the most one may; complete one first.',
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', maxSubscriptions: 20 },
      },
    ]);

    // Still open, and the 20 it runs each receive what is shared.
    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'to twenty subscriptions',
      shareLocationIds: ['location-3'],
    });
    await waitUntil(
      () =>
        socket.messages.filter((message) => message.type === 'next').length ===
        MAX_SUBSCRIPTIONS,
      'each subscription receives the template',
    );
    for (let index = 0; index < MAX_SUBSCRIPTIONS; index += 1) {
      expect(socket.nextsOf(`s${index}`)).toEqual([
        { data: { templateAdded: { id: added.id } } },
      ]);
    }
    for (let index = MAX_SUBSCRIPTIONS; index < 25; index += 1) {
      expect(socket.nextsOf(`s${index}`)).toEqual([]);
    }
  });

  it('accepts a subscription again once one of the 20 is completed', async () => {
    const socket = await connect('zolo');
    for (let index = 0; index < MAX_SUBSCRIPTIONS; index += 1) {
      socket.subscribe(`s${index}`, TEMPLATE_ADDED);
    }
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === MAX_SUBSCRIPTIONS,
      '20 subscriptions registered',
    );

    socket.complete('s0');
    await waitUntil(
      () => instance.fanout.subscriberCount === MAX_SUBSCRIPTIONS - 1,
      'the completed subscription is ended',
    );
    await socket.barrier();
    socket.subscribe('another', TEMPLATE_ADDED);
    await socket.barrier();

    await waitUntil(
      () => instance.fanout.subscriberCount === MAX_SUBSCRIPTIONS,
      'the new subscription registered',
    );
    expect(socket.errorsOf('another')).toEqual([]);
  });

  it('counts each connection on its own, and queries not at all', async () => {
    const first = await connect('zolo');
    const second = await connect('zolo');
    for (const socket of [first, second]) {
      for (let index = 0; index < MAX_SUBSCRIPTIONS; index += 1) {
        socket.subscribe(`s${index}`, TEMPLATE_ADDED);
      }
    }
    await Promise.all([first.barrier(), second.barrier()]);
    await waitUntil(
      () => instance.fanout.subscriberCount === 2 * MAX_SUBSCRIPTIONS,
      'both connections run 20 subscriptions',
    );

    first.subscribe('query', '{ me { id } }');
    await waitUntil(
      () => first.nextsOf('query').length === 1,
      'the query is answered',
    );

    expect(first.nextsOf('query')).toEqual([{ data: { me: { id: 'zolo' } } }]);
    expect(first.errorsOf('query')).toEqual([]);
  });
});
