import {
  startInstance,
  stopAllInstances,
  type RunningInstance,
} from './startInstance.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

/**
 * Starts `count` instance processes at once, the nth with `envFor(n)` (n
 * from 1), each named `instance-<n>` unless its env says otherwise.
 */
export function startInstances(
  count: number,
  envFor: (n: number) => Record<string, string>,
): Promise<RunningInstance[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => {
      const env = {
        INSTANCE_ID: `instance-${index + 1}`,
        ...envFor(index + 1),
      };
      return startInstance({ env, label: env.INSTANCE_ID });
    }),
  );
}

/** Instance processes and the fresh database they share. */
export interface InstancesOnDatabase {
  readonly database: TestDatabase;
  readonly instances: readonly RunningInstance[];
  /**
   * Stops every instance this test file started (stopAllInstances), then
   * drops the database they used.
   */
  stop(): Promise<void>;
}

/**
 * A fresh test database named after `databasePrefix`, and `count`
 * instances on it as startInstances starts them, each given the database's
 * DATABASE_URL besides `envFor(n)`. If one fails to start, what did start
 * is stopped and the database dropped before the error is thrown.
 */
export async function startInstancesOnFreshDatabase(
  databasePrefix: string,
  count: number,
  envFor: (n: number) => Record<string, string>,
): Promise<InstancesOnDatabase> {
  const database = await createTestDatabase(databasePrefix);
  const stop = async () => {
    // Instances first: dropping the database ends their connections.
    await stopAllInstances();
    await database.drop();
  };
  try {
    const instances = await startInstances(count, (n) => ({
      DATABASE_URL: database.url,
      ...envFor(n),
    }));
    return { database, instances, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
