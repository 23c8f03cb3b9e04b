import {
  freePort,
  startPubsubEmulator,
  type RunningEmulator,
} from '../support/pubsubEmulator.js';
import {
  makePod,
  pubsubConfig,
  startPod,
  uniqueEvent,
  uniqueTopic,
  waitFor,
  type Pod,
} from './pubsubBusTestKit.js';

// An emulator of our own, on a port that stays the same across its restart;
// the shared one from globalSetup must keep running for other suites.
describe('PubSubBus when the emulator restarts', () => {
  let port: number;
  let emulator: RunningEmulator;
  const pods: Pod[] = [];

  beforeAll(async () => {
    port = await freePort();
    emulator = await startPubsubEmulator(port);
  });

  afterAll(async () => {
    await Promise.all(pods.map((pod) => pod.bus.close()));
    await emulator.stop();
  });

  it('detaches while Pub/Sub is down, reattaches when it returns and delivers what is published after', async () => {
    const topic = uniqueTopic('restart');
    for (const instanceId of ['pod-a', 'pod-b']) {
      const config = pubsubConfig({
        topic,
        instanceId,
        emulatorHost: emulator.host,
      });
      pods.push(await startPod(makePod(config)));
    }
    const [a, b] = pods as [Pod, Pod];
    const before = uniqueEvent();
    await a.bus.publish(before);
    await waitFor(
      () => a.received.length === 1 && b.received.length === 1,
      'the first event reaches both instances',
    );

    // The restart loses every topic and subscription.
    await emulator.stop();
    await waitFor(
      () => !a.bus.isAttached() && !b.bus.isAttached(),
      'both instances notice the outage',
    );
    emulator = await startPubsubEmulator(port);
    await waitFor(
      () => a.bus.isAttached() && b.bus.isAttached(),
      'both instances reattach',
      90_000,
    );

    const after = uniqueEvent();
    await b.bus.publish(after);
    await waitFor(
      () => a.received.length === 2 && b.received.length === 2,
      'the event published after recovery reaches both instances',
    );
    for (const pod of [a, b]) {
      expect(pod.receivedIds()).toEqual([before.id, after.id]);
      expect(pod.metrics.count('reconnected', 'pubsub')).toBeGreaterThanOrEqual(
        1,
      );
      expect(pod.logged('pubsub reconnecting')[0]).toMatchObject({
        level: 'warn',
        subscriptionName: pod.bus.subscriptionName,
      });
      // Recreated after the restart, with the same settings.
      expect(pod.logged('pubsub subscription created')).toHaveLength(2);
      expect(pod.logged('pubsub reattached')).toHaveLength(
        pod.metrics.count('reconnected', 'pubsub'),
      );
    }
  }, 180_000);
});
