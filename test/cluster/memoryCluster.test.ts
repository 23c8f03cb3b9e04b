import { addTemplate } from '../support/graphqlHttp.js';
import type { RunningInstance } from '../support/startInstance.js';
import {
  startInstancesOnFreshDatabase,
  type InstancesOnDatabase,
} from '../support/startInstances.js';
import { seedUserTokens } from '../support/tokens.js';
import { connectSeedFeeds } from './clusterKit.js';

// BUS=memory is correct for one process only (the seed scenario on one
// such process is test/e2e/seedScenario.childProcess.test.ts's). This pins
// the known limitation across four: an event reaches only the subscribers
// of the instance that published it, and every instance says so when it
// starts.
describe('four instances with BUS=memory', () => {
  let cluster: InstancesOnDatabase;
  let instances: readonly RunningInstance[];

  beforeAll(async () => {
    cluster = await startInstancesOnFreshDatabase('tf_cluster', 4, () => ({
      BUS: 'memory',
    }));
    ({ instances } = cluster);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('warns on every instance that events will not cross instances', () => {
    for (const instance of instances) {
      const warnings = instance.logs.filter(
        (line) =>
          line.level === 'warn' &&
          /events will not cross instances/.test(String(line.message)),
      );
      expect(warnings).toHaveLength(1);
    }
  });

  it('delivers an event only to the entitled subscribers of the instance that published it', async () => {
    const tokens = await seedUserTokens();
    const feeds = await connectSeedFeeds(instances, tokens);
    const clients = feeds.byLabel;
    const [one, two, three, four] = instances.map(
      (instance) => instance.graphqlUrl,
    ) as [string, string, string, string];
    const share = (
      through: string,
      userId: string,
      locationId: string,
      name: string,
    ) =>
      addTemplate(through, tokens[userId]!, {
        name,
        shareLocationIds: [locationId],
      });

    try {
      // zowi -> location-3 through instance 1, where none of zolo (2),
      // zewi (3) and zelo (4) is connected: nobody gets it. Through each
      // of their instances in turn, only the one connected there does.
      await share(one, 'zowi', 'location-3', 'Through instance 1');
      const onThree = await share(three, 'zowi', 'location-3', 'Through 3');
      await clients.zewi.waitForCount(1);
      const onTwo = await share(two, 'zowi', 'location-3', 'Through 2');
      await clients.zolo.waitForCount(1);
      const onFour = await share(four, 'zowi', 'location-3', 'Through 4');
      await clients.zelo.waitForCount(1);

      // zapa -> location-5: zuri (instance 3) gets it only through 3.
      await share(two, 'zapa', 'location-5', 'zapa through 2');
      const zapaOnThree = await share(three, 'zapa', 'location-5', 'Via 3');
      await clients.zuri.waitForCount(1);

      // zowi's two connections (instance 1) and zapa (instance 2), likewise.
      await share(four, 'zelo', 'location-1', 'zelo through 4');
      const zeloOnOne = await share(one, 'zelo', 'location-1', 'Via 1');
      await Promise.all([
        clients['zowi#1'].waitForCount(1),
        clients['zowi#2'].waitForCount(1),
      ]);
      const zuriOnTwo = await share(two, 'zuri', 'location-5', 'Via 2');
      await clients.zapa.waitForCount(1);

      expect(feeds.receivedIds()).toEqual({
        'zowi#1': [zeloOnOne.id],
        'zowi#2': [zeloOnOne.id],
        zolo: [onTwo.id],
        zapa: [zuriOnTwo.id],
        zewi: [onThree.id],
        zuri: [zapaOnThree.id],
        zelo: [onFour.id],
      });
    } finally {
      await feeds.dispose();
    }
  });
});
