import { setTimeout as sleep } from 'node:timers/promises';

import { withFilter } from 'graphql-subscriptions';

import {
  BusPubSubEngine,
  TEMPLATE_ADDED_TRIGGER,
} from '../../src/fanout/BusPubSubEngine.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { captureLogs } from '../support/captureLogs.js';
import {
  QUIET_PERIOD_MILLIS,
  makePod,
  pubsubConfig,
  uniqueEvent,
  uniqueTopic,
  waitFor,
  type Pod,
} from './pubsubBusTestKit.js';

/** One instance: its bus and the engine fed by it. */
interface Instance {
  readonly pod: Pod;
  readonly engine: BusPubSubEngine;
}

describe('BusPubSubEngine over PubSubBus', () => {
  const instances: Instance[] = [];

  async function instance(
    topic: string,
    instanceId: string,
  ): Promise<Instance> {
    const pod = makePod(pubsubConfig({ topic, instanceId }));
    const engine = new BusPubSubEngine({
      bus: pod.bus,
      logger: captureLogs().logger,
    });
    const started = { pod, engine };
    instances.push(started);
    await pod.bus.start(engine.handleEvent);
    return started;
  }

  afterEach(async () => {
    await Promise.all(instances.splice(0).map(({ pod }) => pod.bus.close()));
  });

  it('delivers across instances only the events a withFilter resolver lets through', async () => {
    const topic = uniqueTopic('engine');
    const a = await instance(topic, 'pod-a');
    const b = await instance(topic, 'pod-b');
    // The resolver shape the axelspringer adapter documents.
    const subscribe = withFilter(
      () => b.engine.asyncIterator<TemplateEvent>(TEMPLATE_ADDED_TRIGGER),
      (event?: TemplateEvent) =>
        event?.template.shareLocationIds.includes('location-3') === true,
    );
    const filtered = (await subscribe()) as AsyncIterableIterator<
      TemplateEvent,
      undefined
    >;
    const everything: AsyncIterableIterator<TemplateEvent, undefined> =
      b.engine.asyncIterableIterator<TemplateEvent>(TEMPLATE_ADDED_TRIGGER);
    // graphql-subscriptions subscribes on the first next().
    const firstTwo = Promise.all([filtered.next(), filtered.next()]);
    const firstThree = Promise.all([
      everything.next(),
      everything.next(),
      everything.next(),
    ]);
    await waitFor(() => b.engine.listenerCount === 2, 'both iterators listen');

    const shared = uniqueEvent('zowi', ['location-3']);
    const elsewhere = uniqueEvent('zapa', ['location-5']);
    const sharedAgain = uniqueEvent('zelo', ['location-2', 'location-3']);
    for (const event of [shared, elsewhere, sharedAgain]) {
      await a.engine.publish(TEMPLATE_ADDED_TRIGGER, event);
    }

    const all = await firstThree;
    expect(all.map((result) => result.value?.id).sort()).toEqual(
      [shared.id, elsewhere.id, sharedAgain.id].sort(),
    );
    // Payloads arrive whole, as the TemplateEvent that was published.
    const passed = (await firstTwo).map((result) => result.value);
    expect(passed).toHaveLength(2);
    expect(passed).toEqual(expect.arrayContaining([shared, sharedAgain]));

    await filtered.return?.();
    await everything.return?.();
    expect(b.engine.listenerCount).toBe(0);
  });

  it('delivers a published event once to each listener on every instance, the publisher included', async () => {
    const topic = uniqueTopic('engine-all');
    const a = await instance(topic, 'pod-a');
    const b = await instance(topic, 'pod-b');
    const got: Record<string, string[]> = { a: [], b: [] };
    await a.engine.subscribe(TEMPLATE_ADDED_TRIGGER, (event: TemplateEvent) =>
      got.a?.push(event.id),
    );
    const bId = await b.engine.subscribe(
      TEMPLATE_ADDED_TRIGGER,
      (event: TemplateEvent) => got.b?.push(event.id),
    );
    const first = uniqueEvent();

    await a.engine.publish(TEMPLATE_ADDED_TRIGGER, first);
    await waitFor(
      () => got.a?.length === 1 && got.b?.length === 1,
      'both listeners get the event',
    );
    b.engine.unsubscribe(bId);
    const second = uniqueEvent();
    await b.engine.publish(TEMPLATE_ADDED_TRIGGER, second);
    await waitFor(() => got.a?.length === 2, 'the remaining listener gets it');
    await sleep(QUIET_PERIOD_MILLIS);

    expect(got).toEqual({ a: [first.id, second.id], b: [first.id] });
  });

  it('refuses other trigger names and payloads that are not template events', async () => {
    const topic = uniqueTopic('engine-refuse');
    const a = await instance(topic, 'pod-a');

    await expect(
      a.engine.publish('somethingChanged', uniqueEvent()),
    ).rejects.toThrow(/carries only "templateAdded"/);
    await expect(
      a.engine.subscribe('somethingChanged', () => undefined),
    ).rejects.toThrow(TypeError);
    await expect(
      a.engine.publish(TEMPLATE_ADDED_TRIGGER, { templateAdded: { id: '1' } }),
    ).rejects.toThrow(/payload must be a TemplateEvent/);
    expect(a.pod.metrics.count('publishFailed', 'pubsub')).toBe(0);
  });
});
