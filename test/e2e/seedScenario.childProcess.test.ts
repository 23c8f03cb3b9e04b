import { randomBytes } from 'node:crypto';

import {
  startInstance,
  stopAllInstances,
  type RunningInstance,
} from '../support/startInstance.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { runSeedScenario } from './seedScenario.js';

describe('the seed scenario against a real template-feed process', () => {
  let database: TestDatabase;
  let instance: RunningInstance;

  beforeAll(async () => {
    database = await createTestDatabase('tf_e2e');
    instance = await startInstance({
      env: {
        DATABASE_URL: database.url,
        BUS: 'memory',
        INSTANCE_ID: 'seed-scenario',
      },
    });
  });

  afterAll(async () => {
    await stopAllInstances();
    await database.drop();
  });

  it('delivers each template to exactly the users the share rule names', async () => {
    await runSeedScenario(instance);
  });

  it('logs its start-up with port, bus and instance id, and no credentials', async () => {
    const started = await instance.waitForLog(
      (line) => line.message === 'template-feed started',
    );
    expect(started).toMatchObject({
      level: 'info',
      port: instance.port,
      bus: 'memory',
      instanceId: 'seed-scenario',
    });
    expect(JSON.stringify(instance.logs)).not.toMatch(/Bearer|eyJ/);
  });

  it('exits 0 on SIGTERM after closing everything in order', async () => {
    const exit = await instance.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    const messages = instance.logs.map((line) => line.message);
    const order = [
      'shutting down',
      'server draining',
      'server stopped',
      'fanout registry closed',
      'memory bus closed',
      'store closed',
      'template-feed stopped',
    ];
    const positions = order.map((message) => messages.indexOf(message));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(instance.stderr).toBe('');
  });
});

describe('the seed scenario through the Pub/Sub emulator', () => {
  let database: TestDatabase;
  let instance: RunningInstance;
  const suffix = randomBytes(4).toString('hex');
  const topic = `tf-e2e-${suffix}`;
  const instanceId = `seed-${suffix}`;

  beforeAll(async () => {
    const emulatorHost = process.env.PUBSUB_EMULATOR_HOST;
    if (emulatorHost === undefined) {
      throw new Error('jest globalSetup should have started the emulator');
    }
    database = await createTestDatabase('tf_e2e');
    instance = await startInstance({
      env: {
        DATABASE_URL: database.url,
        BUS: 'pubsub',
        PUBSUB_EMULATOR_HOST: emulatorHost,
        PUBSUB_TOPIC: topic,
        INSTANCE_ID: instanceId,
      },
    });
  });

  afterAll(async () => {
    await stopAllInstances();
    await database.drop();
  });

  it('names its topic and its own subscription when it starts', async () => {
    const started = await instance.waitForLog(
      (line) => line.message === 'template-feed started',
    );
    expect(started).toMatchObject({
      bus: 'pubsub',
      instanceId,
      topic,
      subscriptionName: `${topic}-${instanceId}`,
    });
  });

  it('delivers each template to exactly the users the share rule names', async () => {
    await runSeedScenario(instance);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await instance.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('the seed scenario through PostgreSQL LISTEN/NOTIFY', () => {
  let database: TestDatabase;
  let instance: RunningInstance;

  beforeAll(async () => {
    database = await createTestDatabase('tf_e2e');
    instance = await startInstance({
      env: {
        DATABASE_URL: database.url,
        BUS: 'postgres',
        INSTANCE_ID: 'seed-postgres',
      },
    });
  });

  afterAll(async () => {
    await stopAllInstances();
    await database.drop();
  });

  it('delivers each template to exactly the users the share rule names', async () => {
    await runSeedScenario(instance);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await instance.stop()).toEqual({ code: 0, signal: null });
  });
});
