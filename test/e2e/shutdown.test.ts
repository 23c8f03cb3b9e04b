import { openFrozenWebSocket } from '../support/rawUpgrade.js';
import { startInstance, stopAllInstances } from '../support/startInstance.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';

describe('shutting a template-feed process down', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('tf_e2e');
  });

  afterAll(async () => {
    await stopAllInstances();
    await database.drop();
  });

  const start = (env: Record<string, string>) =>
    startInstance({
      env: { DATABASE_URL: database.url, BUS: 'memory', ...env },
    });

  it('exits at once, non-zero, on a second SIGTERM while draining', async () => {
    const instance = await start({ DRAIN_TIMEOUT_SECONDS: '60' });
    // A client that never answers the close frame keeps the drain waiting.
    const frozen = await openFrozenWebSocket(instance.port);
    try {
      instance.sendSignal('SIGTERM');
      await instance.waitForLog((line) => line.message === 'server draining');
      instance.sendSignal('SIGTERM');

      expect(await instance.exited).toEqual({ code: 130, signal: null });
      expect(
        instance.logs.filter(
          (line) => line.message === 'second signal, exiting at once',
        ),
      ).toEqual([
        expect.objectContaining({ level: 'warn', signal: 'SIGTERM' }),
      ]);
      expect(instance.logs.map((line) => line.message)).not.toContain(
        'template-feed stopped',
      );
    } finally {
      frozen.destroy();
    }
  });

  it('exits 0 on SIGINT, as from a terminal', async () => {
    const instance = await start({});
    expect(await instance.stop({ signal: 'SIGINT' })).toEqual({
      code: 0,
      signal: null,
    });
    expect(instance.logs).toContainEqual(
      expect.objectContaining({ message: 'shutting down', signal: 'SIGINT' }),
    );
  });
});
