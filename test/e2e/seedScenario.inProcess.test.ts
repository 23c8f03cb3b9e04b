import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { waitUntil } from '../support/waitUntil.js';
import { runSeedScenario } from './seedScenario.js';

describe('the seed scenario against an in-process instance', () => {
  let instance: TestServer;

  beforeAll(async () => {
    instance = await startTestServer();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('delivers each template to exactly the users the share rule names', async () => {
    await runSeedScenario(instance);
    await waitUntil(
      () =>
        instance.fanout.subscriberCount === 0 &&
        instance.server.webSocketClientCount === 0,
      'every subscriber and socket gone after the clients left',
    );
  });
});
