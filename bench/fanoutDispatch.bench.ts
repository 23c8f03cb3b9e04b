/**
 * How much routing one template event to this instance's subscribers costs,
 * our indexed registry against the approaches that run every subscriber's
 * filter for every event. `npm run bench`; results go in docs/benchmarks.md.
 */
import os from 'node:os';

import { Bench } from 'tinybench';

import type { TemplateEvent } from '../src/domain/types.js';
import {
  filterEverySubscriber,
  indexedRegistry,
  withFilterOverPubSub,
  type Approach,
} from './approaches.js';
import { buildPopulation, type Population } from './population.js';

const SUBSCRIBER_COUNTS = [1_000, 10_000, 50_000];
const SUBSCRIBERS_PER_ORGANIZATION = 100;
const LOCATIONS_PER_ORGANIZATION = 10;
const EVENTS = 512;

/** Lets every consumer take what was handed to it. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How one approach is measured. */
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
  // Seconds per event at 50,000 subscribers: a few samples must do.
  {
    create: withFilterOverPubSub,
    timeMillis: 300,
    iterations: 3,
    warmupIterations: 1,
    checkedEvents: 1,
  },
];

interface Row {
  readonly subscribers: number;
  readonly approach: string;
  /** From the mean: what a pod sustains, pauses and all. */
  readonly eventsPerSecond: number;
  readonly meanNanosPerEvent: number;
  /** The median: steadier than the mean on a busy machine. */
  readonly medianNanosPerEvent: number;
  readonly relativeMarginPercent: number;
  readonly samples: number;
}

/**
 * Times `approach`: each iteration publishes one event and waits until the
 * consumers have taken what was handed to them (one turn of the event loop,
 * which every approach pays alike). That is the cost a pod pays per event.
 */
async function measure(
  approach: Approach,
  population: Population,
  plan: Plan,
): Promise<Row> {
  // Before timing: the approach must deliver exactly what the share rule
  // says, or its speed means nothing. One event at a time, so the naive
  // approaches never hold many events for every subscriber at once.
  const checked = population.events.slice(0, plan.checkedEvents);
  const expected = expectedDeliveries(population.subscribers, checked);
  const before = approach.deliveredCount();
  for (const event of checked) {
    approach.publish(event);
    await settle();
  }
  const delivered = approach.deliveredCount() - before;
  if (delivered !== expected) {
    throw new Error(
      `${approach.name} delivered ${delivered}, the share rule says ${expected}`,
    );
  }

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
  const result = task?.result;
  if (result === undefined || !('latency' in result)) {
    throw new Error(`${approach.name}: benchmark did not complete`);
  }
  return {
    subscribers: population.subscribers.length,
    approach: approach.name,
    eventsPerSecond: 1_000 / result.latency.mean,
    meanNanosPerEvent: result.latency.mean * 1_000_000,
    medianNanosPerEvent: result.latency.p50 * 1_000_000,
    relativeMarginPercent: result.latency.rme,
    samples: result.latency.samplesCount,
  };
}

/** Deliveries the share rule asks for, computed the plainest way. */
function expectedDeliveries(
  subscribers: Population['subscribers'],
  events: Population['events'],
): number {
  let total = 0;
  for (const event of events) {
    const shared = new Set(event.template.shareLocationIds);
    const orgs = new Set(event.shareOrganizationIds);
    for (const s of subscribers) {
      if (s.id === event.template.createdById) continue;
      const byLocation = s.locationId !== null && shared.has(s.locationId);
      const byOrg = s.organizationId !== null && orgs.has(s.organizationId);
      if (byLocation || byOrg) total += 1;
    }
  }
  return total;
}

function audiencePerEvent(population: Population): number {
  return (
    expectedDeliveries(population.subscribers, population.events) /
    population.events.length
  );
}

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });

const loadAverage = () =>
  os
    .loadavg()
    .map((load) => format(load, 2))
    .join(' ');

async function main(): Promise<void> {
  const startedMillis = Date.now();
  const cpus = os.cpus();
  console.log(
    `# ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `${os.type()} ${os.release()}`,
  );
  // Other work on the machine skews every number; say how busy it was.
  console.log(`# load average at start: ${loadAverage()}`);

  const rows: Row[] = [];
  for (const subscribers of SUBSCRIBER_COUNTS) {
    const population = buildPopulation({
      subscribers,
      subscribersPerOrganization: SUBSCRIBERS_PER_ORGANIZATION,
      locationsPerOrganization: LOCATIONS_PER_ORGANIZATION,
      events: EVENTS,
    });
    console.log(
      `# ${format(subscribers)} subscribers, ` +
        `${format(population.organizations)} organisations, ` +
        `${format(population.locations)} locations, ` +
        `${format(audiencePerEvent(population), 1)} entitled per event`,
    );

    for (const plan of PLANS) {
      const taskStartedMillis = Date.now();
      const approach = await plan.create(population.subscribers);
      await settle();
      rows.push(await measure(approach, population, plan));
      await approach.close();
      await settle();
      console.log(
        `#   ${approach.name}: ` +
          `${format((Date.now() - taskStartedMillis) / 1_000, 1)} s`,
      );
    }
  }

  console.log('');
  console.log(
    '| subscribers | approach | events/s | ns per event, mean | ' +
      'ns per event, median | ± % (mean) | samples |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${format(row.subscribers)} | ${row.approach} | ` +
        `${format(row.eventsPerSecond)} | ${format(row.meanNanosPerEvent)} | ` +
        `${format(row.medianNanosPerEvent)} | ` +
        `${format(row.relativeMarginPercent, 1)} | ${row.samples} |`,
    );
  }
  console.log(
    `\n# finished in ${format((Date.now() - startedMillis) / 1_000, 1)} s; ` +
      `load average at end: ${loadAverage()}`,
  );
}

await main();
