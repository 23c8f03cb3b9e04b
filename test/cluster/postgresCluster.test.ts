import type { RunningInstance } from '../support/startInstance.js';
import {
  startInstancesOnFreshDatabase,
  type InstancesOnDatabase,
} from '../support/startInstances.js';
import { runCrossInstanceScenario } from './crossInstanceScenario.js';

// The same four processes and the same scenario as pubsubCluster.test.ts,
// with LISTEN/NOTIFY on the store's PostgreSQL as the bus: every delivery
// crosses instances. One instance delivering to its own clients over this
// bus is test/e2e/seedScenario.childProcess.test.ts's.
describe('four instances with BUS=postgres', () => {
  let cluster: InstancesOnDatabase;
  let instances: readonly RunningInstance[];

  beforeAll(async () => {
    cluster = await startInstancesOnFreshDatabase('tf_cluster', 4, () => ({
      BUS: 'postgres',
    }));
    ({ instances } = cluster);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers each template to exactly the users the share rule names, on whichever instance they are connected to', async () => {
    await runCrossInstanceScenario(instances);
  });

  it('stops each instance with exit 0', async () => {
    const exits = await Promise.all(
      instances.map((instance) => instance.stop()),
    );
    expect(exits).toEqual(instances.map(() => ({ code: 0, signal: null })));
  });
});
