import type { BusMetrics } from '../../src/bus/BusMetrics.js';
import type { BusKind } from '../../src/bus/EventBus.js';

type BusMetric = keyof BusMetrics;

const BUS_METRICS: readonly BusMetric[] = [
  'eventReceived',
  'invalidMessageDropped',
  'duplicateDropped',
  'reconnected',
  'publishFailed',
];

/** Counts each BusMetrics report by method and by the bus kind it names. */
export class CountingBusMetrics implements BusMetrics {
  /** Every kind any report named: a driver must only ever name its own. */
  readonly kinds = new Set<BusKind>();
  private readonly counts = new Map<string, number>();

  eventReceived(kind: BusKind): void {
    this.bump('eventReceived', kind);
  }
  invalidMessageDropped(kind: BusKind): void {
    this.bump('invalidMessageDropped', kind);
  }
  duplicateDropped(kind: BusKind): void {
    this.bump('duplicateDropped', kind);
  }
  reconnected(kind: BusKind): void {
    this.bump('reconnected', kind);
  }
  publishFailed(kind: BusKind): void {
    this.bump('publishFailed', kind);
  }

  /** How many times `method` was reported for `kind`. */
  count(method: BusMetric, kind: BusKind): number {
    return this.counts.get(`${method}:${kind}`) ?? 0;
  }

  /** Every method's count for `kind`, zeros included. */
  countsFor(kind: BusKind): Record<BusMetric, number> {
    return Object.fromEntries(
      BUS_METRICS.map((method) => [method, this.count(method, kind)]),
    ) as Record<BusMetric, number>;
  }

  private bump(method: BusMetric, kind: BusKind): void {
    const key = `${method}:${kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.kinds.add(kind);
  }
}
