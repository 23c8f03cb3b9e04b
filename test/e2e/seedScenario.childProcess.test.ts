import { randomBytes } from 'node:crypto';

import { sharedEmulatorHost } from '../support/pubsubEmulator.js';
import type { RunningInstance } from '../support/startInstance.js';
import {
  startInstancesOnFreshDatabase,
  type InstancesOnDatabase,
} from '../support/startInstances.js';
import { runSeedScenario } from './seedScenario.js';

// One real process per bus, every client connected to it. What this shows
// and the four-instance suites in test/cluster do not:
// - the instance that publishes an event hands it to its own subscribers
//   exactly once, through each bus (over Pub/Sub, by way of its own
//   subscription); in the cluster scenario every delivery crosses
//   instances;
// - main.ts's start-up line (port, bus, instance id; topic and
//   subscription), logs free of credentials after authenticated traffic,
//   and the order main.ts closes things in on SIGTERM, with nothing on
//   stderr.

describe('the seed scenario against a real template-feed process', () => {
  let suite: InstancesOnDatabase;
  let instance: RunningInstance;

  beforeAll(async () => {
    suite = await startInstancesOnFreshDatabase('tf_e2e', 1, () => ({
      BUS: 'memory',
      INSTANCE_ID: 'seed-scenario',
    }));
    instance = suite.instances[0]!;
  });

  afterAll(async () => {
    await suite?.stop();
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
  let suite: InstancesOnDatabase;
  let instance: RunningInstance;
  const suffix = randomBytes(4).toString('hex');
  const topic = `tf-e2e-${suffix}`;
  const instanceId = `seed-${suffix}`;

  beforeAll(async () => {
    suite = await startInstancesOnFreshDatabase('tf_e2e', 1, () => ({
      BUS: 'pubsub',
      PUBSUB_EMULATOR_HOST: sharedEmulatorHost(),
      PUBSUB_TOPIC: topic,
      INSTANCE_ID: instanceId,
    }));
    instance = suite.instances[0]!;
  });

  afterAll(async () => {
    await suite?.stop();
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
  let suite: InstancesOnDatabase;
  let instance: RunningInstance;

  beforeAll(async () => {
    suite = await startInstancesOnFreshDatabase('tf_e2e', 1, () => ({
      BUS: 'postgres',
      INSTANCE_ID: 'seed-postgres',
    }));
    instance = suite.instances[0]!;
  });

  afterAll(async () => {
    await suite?.stop();
  });

  it('delivers each template to exactly the users the share rule names', async () => {
    await runSeedScenario(instance);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await instance.stop()).toEqual({ code: 0, signal: null });
  });
});
