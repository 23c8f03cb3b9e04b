import {
  stopAllInstances,
  type RunningInstance,
} from '../support/startInstance.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { startInstances } from './clusterKit.js';
import { runCrossInstanceScenario } from './crossInstanceScenario.js';

// The same four processes and the same scenario as pubsubCluster.test.ts,
// with LISTEN/NOTIFY on the store's PostgreSQL as the bus.
describe('four instances with BUS=postgres', () => {
  let database: TestDatabase;
  let instances: RunningInstance[];

  beforeAll(async () => {
    database = await createTestDatabase('tf_cluster');
    instances = await startInstances(4, () => ({
      DATABASE_URL: database.url,
      BUS: 'postgres',
    }));
  }, 120_000);

  afterAll(async () => {
    await stopAllInstances();
    await database.drop();
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
