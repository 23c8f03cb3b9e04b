/**
 * What routing one template event to this instance's subscribers costs: our
 * indexed registry against approaches that run every subscriber's filter for
 * every event. `npm run bench`; results go in docs/benchmarks.md.
 */
import { Bench, type Task } from 'tinybench';

import type { TemplateEvent } from '../src/domain/types.js';
import {
  filterEverySubscriber,
  indexedRegistry,
  withFilterOverPubSub,
  type Approach,
} from './approaches.js';
import { buildPopulation, type Population } from './population.js';
import {
  expectedDeliveries,
  format,
  loadAverage,
  machine,
  markdownTable,
  type Row,
} from './report.js';
import { indexedRouter, loopRouter, type Router } from './routers.js';

const SUBSCRIBER_COUNTS = [1_000, 10_000, 50_000];
const SUBSCRIBERS_PER_ORGANIZATION = 100;
const LOCATIONS_PER_ORGANIZATION = 10;
const EVENTS = 512;

/** Lets every consumer take what was handed to it. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How one end-to-end approach is measured. */
interface Plan {
  readonly create: (
    subscribers: Population['subscribers'],
  ) => Approach | Promise<Approach>;
  /** Time the task is measured for, at least `iterations` times. */
  readonly timeMillis: number;
  readonly iterations: number;
  readonly warmupIterations: number;
  /** Events whose deliveries are checked against the share rule first. */
  readonly checkedEvents: number;
}

const PLANS: readonly Plan[] = [
  {
    create: indexedRegistry,
    timeMillis: 1_000,
    iterations: 50,
    warmupIterations: 20,
    checkedEvents: 64,
  },
  {
    create: filterEverySubscriber,
    timeMillis: 1_000,
    iterations: 10,
    warmupIterations: 5,
    checkedEvents: 16,
  },
  // Around a second per event at 50,000 subscribers: a few samples must do.
  {
    create: withFilterOverPubSub,
    timeMillis: 300,
    iterations: 3,
    warmupIterations: 1,
    checkedEvents: 1,
  },
];

const ROUTERS: readonly ((subscribers: Population['subscribers']) => Router)[] =
  [indexedRouter, loopRouter];

function check(name: string, delivered: number, expected: number): void {
  if (delivered !== expected) {
    throw new Error(
      `${name} delivered ${delivered}, the share rule says ${expected}`,
    );
  }
}

function rowOf(task: Task | undefined, subscribers: number): Row {
  const result = task?.result;
  if (task === undefined || result === undefined || !('latency' in result)) {
    throw new Error(`${task?.name ?? 'a task'}: benchmark did not complete`);
  }
  return {
    subscribers,
    approach: task.name,
    eventsPerSecond: 1_000 / result.latency.mean,
    meanNanosPerEvent: result.latency.mean * 1_000_000,
    medianNanosPerEvent: result.latency.p50 * 1_000_000,
    relativeMarginPercent: result.latency.rme,
    samples: result.latency.samplesCount,
  };
}

/**
 * End to end: each iteration publishes one event and waits until every
 * consumer has taken what was handed to it (one turn of the event loop,
 * which every approach pays alike). That is what a pod pays per event.
 */
async function measureEndToEnd(
  approach: Approach,
  population: Population,
  plan: Plan,
): Promise<Row> {
  // Before timing: the approach must deliver exactly what the share rule
  // says, or its speed means nothing. One event at a time, so the naive
  // approaches never hold many events for every subscriber at once.
  const checked = population.events.slice(0, plan.checkedEvents);
  const before = approach.deliveredCount();
  for (const event of checked) {
    approach.publish(event);
    await settle();
  }
  check(
    approach.name,
    approach.deliveredCount() - before,
    expectedDeliveries(population.subscribers, checked),
  );

  let cursor = 0;
  const bench = new Bench({
    time: plan.timeMillis,
    iterations: plan.iterations,
    warmupTime: 0,
    warmupIterations: plan.warmupIterations,
  });
  bench.add(approach.name, async () => {
    approach.publish(population.events[cursor] as TemplateEvent);
    cursor = (cursor + 1) % population.events.length;
    await settle();
  });
  const [task] = await bench.run();
  return rowOf(task, population.subscribers.length);
}

/** Routing alone, synchronously, with nobody reading the queues. */
function measureRouting(router: Router, population: Population): Row {
  const delivered = population.events.reduce(
    (total, event) => total + router.route(event),
    0,
  );
  check(
    router.name,
    delivered,
    expectedDeliveries(population.subscribers, population.events),
  );

  let cursor = 0;
  const bench = new Bench({
    time: 1_000,
    iterations: 100,
    warmupTime: 100,
  });
  bench.add(router.name, () => {
    router.route(population.events[cursor] as TemplateEvent);
    cursor = (cursor + 1) % population.events.length;
  });
  const [task] = bench.runSync();
  return rowOf(task, population.subscribers.length);
}

async function main(): Promise<void> {
  const startedMillis = Date.now();
  console.log(`# ${machine()}`);
  // Other work on the machine skews every number; say how busy it was.
  console.log(`# load average at start: ${loadAverage()}`);

  const routing: Row[] = [];
  const endToEnd: Row[] = [];
  for (const subscribers of SUBSCRIBER_COUNTS) {
    const population = buildPopulation({
      subscribers,
      subscribersPerOrganization: SUBSCRIBERS_PER_ORGANIZATION,
      locationsPerOrganization: LOCATIONS_PER_ORGANIZATION,
      events: EVENTS,
    });
    const entitled =
      expectedDeliveries(population.subscribers, population.events) /
      population.events.length;
    console.log(
      `# ${format(subscribers)} subscribers, ` +
        `${format(population.organizations)} organisations, ` +
        `${format(population.locations)} locations, ` +
        `${format(entitled, 1)} entitled per event`,
    );

    for (const create of ROUTERS) {
      const router = create(population.subscribers);
      routing.push(measureRouting(router, population));
      router.close();
    }

    for (const plan of PLANS) {
      const taskStartedMillis = Date.now();
      const approach = await plan.create(population.subscribers);
      await settle();
      endToEnd.push(await measureEndToEnd(approach, population, plan));
      await approach.close();
      await settle();
      console.log(
        `#   ${approach.name}: ` +
          `${format((Date.now() - taskStartedMillis) / 1_000, 1)} s`,
      );
    }
  }

  console.log('');
  console.log(markdownTable('Routing only (no consumer reading)', routing));
  console.log('');
  console.log(
    markdownTable('End to end (consumers take every event)', endToEnd),
  );
  console.log(
    `\n# finished in ${format((Date.now() - startedMillis) / 1_000, 1)} s; ` +
      `load average at end: ${loadAverage()}`,
  );
}

await main();
