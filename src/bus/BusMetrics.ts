import type { BusKind } from '../config/config.js';

/**
 * Counters every bus driver reports, labelled by bus kind. The server
 * implements them with prom-client; the bus layer only sees this interface,
 * so it never imports the metrics library (DESIGN.md, layers).
 */
export interface BusMetrics {
  /** A valid event arrived and was handed to the handler (after dedupe). */
  eventReceived(kind: BusKind): void;
  /** A message that was not a template event was dropped (and acked). */
  invalidMessageDropped(kind: BusKind): void;
  /** An event id seen moments ago arrived again and was dropped. */
  duplicateDropped(kind: BusKind): void;
  /** The driver lost its connection or subscription and attached again. */
  reconnected(kind: BusKind): void;
  /** publish() rejected: the event did not reach the bus. */
  publishFailed(kind: BusKind): void;
}

/** Counts nothing; the default when no metrics are wired in (tests, tools). */
export const noopBusMetrics: BusMetrics = Object.freeze({
  eventReceived: () => undefined,
  invalidMessageDropped: () => undefined,
  duplicateDropped: () => undefined,
  reconnected: () => undefined,
  publishFailed: () => undefined,
});
