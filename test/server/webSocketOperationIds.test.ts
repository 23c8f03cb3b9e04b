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

const TEMPLATE_ADDED = 'subscription { templateAdded { id name } }';

describe('WebSocket operation ids reused after complete', () => {
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
  const registryIsEmpty = () =>
    instance.fanout.subscriberCount === 0 &&
    instance.fanout.connectionCount === 0;
  const describeRegistry = () => ({
    ...instance.fanout.stats(),
    connections: instance.fanout.connectionCount,
  });

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((socket) => socket.close()));
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('leaves no subscriber behind after subscribe, complete and subscribe again with one id, then close', async () => {
    // The reviewer's burst (rv-leak.mjs, MODE=reuse), which graphql-ws
    // 6.4.2 alone turned into ~94 subscribers that outlived the socket.
    const socket = await connect('zolo');
    for (let round = 0; round < 100; round += 1) {
      socket.subscribe('x', TEMPLATE_ADDED);
      socket.complete('x');
    }
    socket.subscribe('x', TEMPLATE_ADDED);
    await socket.barrier();
    await socket.close();

    await waitUntil(
      registryIsEmpty,
      'every subscriber of the closed socket is gone',
      10_000,
      describeRegistry,
    );
    expect(instance.fanout.stats()).toMatchObject({
      subscribers: 0,
      indexKeys: { locations: 0, organizations: 0, users: 0 },
      pendingNexts: 0,
      queuedEvents: 0,
    });
  });

  it('runs nothing the client completed, and refuses the id while the server finishes with it', async () => {
    const socket = await connect('zolo');
    for (let round = 0; round < 100; round += 1) {
      socket.subscribe('x', TEMPLATE_ADDED);
      socket.complete('x');
    }
    socket.subscribe('x', TEMPLATE_ADDED);
    await socket.barrier();

    // Nothing runs for "x" though the socket stays open.
    await waitUntil(
      registryIsEmpty,
      'the completed subscriptions are ended while the socket is open',
      10_000,
      describeRegistry,
    );
    const codes = new Set(
      socket.errorsOf('x').map((error) => error.extensions?.code),
    );
    expect([...codes]).toEqual(['OPERATION_ID_IN_USE']);

    // An event zolo is entitled to reaches a fresh id, and not "x".
    socket.subscribe('probe', TEMPLATE_ADDED);
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === 1,
      'the probe subscription is registered',
    );
    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'after the burst',
      shareLocationIds: ['location-3'],
    });
    await waitUntil(
      () => socket.nextsOf('probe').length === 1,
      'the probe receives the template',
    );
    expect(socket.nextsOf('probe')).toEqual([
      { data: { templateAdded: { id: added.id, name: 'after the burst' } } },
    ]);
    expect(socket.nextsOf('x')).toEqual([]);
  });

  it('leaves no subscriber behind when sockets complete and resubscribe one id in a loop before closing', async () => {
    // The reviewer's rv-churn.mjs MODE=resub, on 20 sockets at once.
    const users = ['zolo', 'zewi', 'zelo', 'zapa', 'zuri'];
    const sockets = await Promise.all(
      Array.from({ length: 20 }, (_, index) => connect(users[index % 5]!)),
    );
    for (const socket of sockets) socket.subscribe('s0', TEMPLATE_ADDED);
    await Promise.all(sockets.map((socket) => socket.barrier()));
    await waitUntil(
      () => instance.fanout.subscriberCount === 20,
      'every socket has its subscription',
    );

    for (const socket of sockets) {
      for (let round = 0; round < 20; round += 1) {
        socket.complete('s0');
        socket.subscribe('s0', TEMPLATE_ADDED);
      }
    }
    await Promise.all(open.splice(0).map((socket) => socket.close()));

    await waitUntil(
      registryIsEmpty,
      'every subscriber of the closed sockets is gone',
      10_000,
      describeRegistry,
    );
    expect(instance.fanout.stats().indexKeys).toEqual({
      locations: 0,
      organizations: 0,
      users: 0,
    });
  });

  it('lets a client reuse an id once the server has finished with it', async () => {
    const socket = await connect('zolo');
    socket.subscribe('x', TEMPLATE_ADDED);
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === 1,
      'the first subscription is registered',
    );
    socket.complete('x');
    await waitUntil(
      () => instance.fanout.subscriberCount === 0,
      'the first subscription is ended',
    );
    await socket.barrier();

    socket.subscribe('x', TEMPLATE_ADDED);
    await socket.barrier();
    await waitUntil(
      () => instance.fanout.subscriberCount === 1,
      'the second subscription is registered',
    );
    const added = await addTemplate(instance.graphqlUrl, tokens.zowi!, {
      name: 'for the reused id',
      shareLocationIds: ['location-3'],
    });
    await waitUntil(
      () => socket.nextsOf('x').length === 1,
      'the reused id receives the template',
    );

    expect(socket.errorsOf('x')).toEqual([]);
    expect(socket.nextsOf('x')).toEqual([
      { data: { templateAdded: { id: added.id, name: 'for the reused id' } } },
    ]);
  });
});
