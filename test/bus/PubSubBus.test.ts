import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import type { Message, PubSub } from '@google-cloud/pubsub';

import { ConfigError } from '../../src/config/ConfigError.js';
import { encodeTemplateEvent } from '../../src/domain/templateEventCodec.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import {
  emulatorAdmin,
  sharedEmulatorHost,
} from '../support/pubsubEmulator.js';
import {
  QUIET_PERIOD_MILLIS,
  makePod,
  pubsubConfig,
  startPod,
  uniqueEvent,
  uniqueTopic,
  waitFor,
  type Pod,
} from './pubsubBusTestKit.js';

/**
 * The emulator keeps leasing messages to the streams of a SIGKILLed process
 * until their ack deadline (up to 20 s here) passes, even after the
 * subscription is deleted and recreated under the same name. The real
 * service ends those streams with the subscription. Waits that follow a kill
 * allow for that; they bound the test, they are not what it asserts.
 */
const EMULATOR_ZOMBIE_LEASE_MILLIS = 50_000;

const CHILD_SCRIPT = fileURLToPath(
  new URL('./pubsubBusChild.ts', import.meta.url),
);

describe('PubSubBus', () => {
  const pods: Pod[] = [];
  const clients: PubSub[] = [];
  const children: ChildProcess[] = [];

  /** A started pod on `topic`; closed after the test. */
  async function pod(topic: string, instanceId: string): Promise<Pod> {
    const started = makePod(pubsubConfig({ topic, instanceId }));
    pods.push(started);
    return startPod(started);
  }

  /** A client of our own, for what the bus must not do itself. */
  function client(): PubSub {
    const raw = emulatorAdmin(sharedEmulatorHost());
    clients.push(raw);
    return raw;
  }

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await Promise.all(pods.splice(0).map((started) => started.bus.close()));
    await Promise.all(clients.splice(0).map((raw) => raw.close()));
  });

  it('delivers an event published by one instance to every instance exactly once', async () => {
    const topic = uniqueTopic('fanout');
    const a = await pod(topic, 'pod-a');
    const b = await pod(topic, 'pod-b');
    const event = uniqueEvent();

    const messageId = await a.bus.publishMessage(event);

    expect(messageId).toMatch(/^\d+$/);
    await waitFor(
      () => a.received.length > 0 && b.received.length > 0,
      'both instances receive the event',
    );
    await sleep(QUIET_PERIOD_MILLIS);
    expect(a.receivedIds()).toEqual([event.id]);
    expect(b.receivedIds()).toEqual([event.id]);
    expect(b.received[0]).toEqual(event);
    expect(a.metrics.count('eventReceived', 'pubsub')).toBe(1);
    expect(b.metrics.count('eventReceived', 'pubsub')).toBe(1);
  });

  it('keeps a subscription per instance with the configured TTL and deletes it on close', async () => {
    const topic = uniqueTopic('lifecycle');
    const a = await pod(topic, 'pod-a');
    const b = await pod(topic, 'pod-b');
    const raw = client();

    for (const started of [a, b]) {
      const name = `${topic}-${started.config.instanceId}`;
      expect(started.bus.subscriptionName).toBe(name);
      const [metadata] = await raw.subscription(name).getMetadata();
      expect(metadata.topic).toBe(raw.topic(topic).name);
      expect(Number(metadata.expirationPolicy?.ttl?.seconds)).toBe(
        started.config.pubsub.subscriptionTtlSeconds,
      );
      expect(Number(metadata.messageRetentionDuration?.seconds)).toBe(600);
      expect(started.logged('pubsub subscription created')).toEqual([
        expect.objectContaining({
          level: 'info',
          subscriptionName: name,
          topic,
          ttlSeconds: 3_600,
        }),
      ]);
      expect(started.bus.isAttached()).toBe(true);
    }

    await a.bus.close();
    expect(a.bus.isAttached()).toBe(false);
    const [aExists] = await raw.subscription(a.bus.subscriptionName).exists();
    const [bExists] = await raw.subscription(b.bus.subscriptionName).exists();
    expect(aExists).toBe(false);
    expect(bExists).toBe(true);
    expect(a.logged('pubsub subscription deleted')).toEqual([
      expect.objectContaining({
        level: 'info',
        subscriptionName: a.bus.subscriptionName,
      }),
    ]);
  });

  it('delivers nothing stale after restarting under the name of a killed instance', async () => {
    const topic = uniqueTopic('stale');
    const config = pubsubConfig({ topic, instanceId: 'pod-k' });
    const raw = client();

    // A pod that is SIGKILLed never deletes its subscription.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT], {
      env: {
        ...process.env,
        PUBSUB_EMULATOR_HOST: config.pubsub.emulatorHost,
        PUBSUB_TOPIC: topic,
        INSTANCE_ID: 'pod-k',
        BUS: 'pubsub',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('attached')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    child.kill('SIGKILL');
    await once(child, 'exit');

    // Events published while it is dead pile up in its subscription.
    const stale = [uniqueEvent(), uniqueEvent()];
    for (const event of stale) {
      await raw.topic(topic).publishMessage({
        data: Buffer.from(encodeTemplateEvent(event)),
      });
    }
    expect(await backlogEventIds(raw, `${topic}-pod-k`, 2)).toEqual(
      expect.arrayContaining(stale.map((event) => event.id)),
    );

    const restarted = await pod(topic, 'pod-k');
    const fresh = uniqueEvent();
    await restarted.bus.publish(fresh);

    await waitFor(
      () => restarted.received.length > 0,
      'the restarted instance receives the new event',
      EMULATOR_ZOMBIE_LEASE_MILLIS,
    );
    await sleep(QUIET_PERIOD_MILLIS);
    expect(restarted.receivedIds()).toEqual([fresh.id]);
    expect(
      restarted.logged('pubsub subscription left by an earlier run deleted'),
    ).toHaveLength(1);
  }, 180_000);

  it('drops and logs messages that are not template events, then delivers the next real one', async () => {
    const topic = uniqueTopic('invalid');
    const a = await pod(topic, 'pod-a');
    const raw = client();

    const notJsonId = await raw
      .topic(topic)
      .publishMessage({ data: Buffer.from('this is not JSON') });
    const wrongShapeId = await raw
      .topic(topic)
      .publishMessage({ json: { v: 1, id: 'x', template: { name: 7 } } });
    const event = uniqueEvent();
    await a.bus.publish(event);

    await waitFor(() => a.received.length > 0, 'the real event arrives');
    await waitFor(
      () => a.logged('pubsub invalid message dropped').length === 2,
      'both invalid messages are logged',
    );
    await sleep(QUIET_PERIOD_MILLIS);
    expect(a.receivedIds()).toEqual([event.id]);
    const dropped = a.logged('pubsub invalid message dropped');
    expect(dropped.map((line) => line.level)).toEqual(['warn', 'warn']);
    expect(dropped.map((line) => line.messageId).sort()).toEqual(
      [notJsonId, wrongShapeId].sort(),
    );
    // Acked, not nacked: they are not offered again.
    expect(a.metrics.count('invalidMessageDropped', 'pubsub')).toBe(2);
  });

  it('hands an event published twice to the handler once', async () => {
    const topic = uniqueTopic('dupes');
    const a = await pod(topic, 'pod-a');
    const event = uniqueEvent();

    await a.bus.publish(event);
    await a.bus.publish(event);

    await waitFor(
      () => a.metrics.count('duplicateDropped', 'pubsub') === 1,
      'the second copy is dropped',
    );
    await sleep(QUIET_PERIOD_MILLIS);
    expect(a.receivedIds()).toEqual([event.id]);
    expect(a.metrics.count('eventReceived', 'pubsub')).toBe(1);
  });

  it('nacks an event whose handler throws and hands it over again on redelivery', async () => {
    const topic = uniqueTopic('nack');
    const started = makePod(pubsubConfig({ topic, instanceId: 'pod-a' }));
    pods.push(started);
    const attempts: TemplateEvent[] = [];
    await started.bus.start((event) => {
      attempts.push(event);
      if (attempts.length === 1) throw new Error('fan-out refused');
    });
    const event = uniqueEvent();

    await started.bus.publish(event);

    await waitFor(() => attempts.length === 2, 'the event is redelivered');
    expect(attempts.map((attempt) => attempt.id)).toEqual([event.id, event.id]);
    expect(
      started.logged(
        'pubsub event handler failed; message nacked for redelivery',
      ),
    ).toEqual([expect.objectContaining({ level: 'error', eventId: event.id })]);
    await sleep(QUIET_PERIOD_MILLIS);
    expect(attempts).toHaveLength(2);
  });

  it('refuses to start on a missing topic it may not create, naming the variables', async () => {
    const topic = uniqueTopic('missing');
    const started = makePod(
      pubsubConfig({ topic, instanceId: 'pod-a', createTopic: false }),
    );
    pods.push(started);

    const failure = started.bus.start(() => undefined);

    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(
      /^PUBSUB_TOPIC .*PUBSUB_CREATE_TOPIC/,
    );
    await expect(failure).rejects.toThrow(topic);
    expect(started.bus.isAttached()).toBe(false);
    const [exists] = await client().topic(topic).exists();
    expect(exists).toBe(false);
  });
});

/**
 * The event ids waiting in a subscription, read without acknowledging them
 * (each is nacked straight back), to show a backlog exists.
 */
async function backlogEventIds(
  raw: PubSub,
  subscriptionName: string,
  expected: number,
): Promise<string[]> {
  const subscription = raw.subscription(subscriptionName);
  const ids = new Set<string>();
  const onMessage = (message: Message): void => {
    ids.add((JSON.parse(message.data.toString()) as { id: string }).id);
    message.nack();
  };
  subscription.on('message', onMessage);
  try {
    await waitFor(
      () => ids.size >= expected,
      'the backlog is visible',
      EMULATOR_ZOMBIE_LEASE_MILLIS,
    );
  } finally {
    subscription.removeListener('message', onMessage);
    await subscription.close();
  }
  return [...ids];
}
