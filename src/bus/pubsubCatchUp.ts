import type { TemplateEvent } from '../domain/types.js';
import type { EventLogReader } from './EventLogReader.js';
import { withDeadline } from './pubsubDeadline.js';

/** What became of one event offered to the handler. */
export type HandOff = 'handed-over' | 'duplicate' | 'failed';

/** What one catch-up did; logged with `pubsub caught up`. */
export interface CatchUpReport {
  /** The first sequence read, or null when nothing was written since. */
  readonly fromSequence: number | null;
  /** Events read back from the log. */
  readonly read: number;
  /** Of those, the ones the handler had not had, now handed over. */
  readonly handedOver: number;
  /** Of those, the ones already received (over Pub/Sub, or earlier). */
  readonly duplicates: number;
  /** Of those, the ones whose handler threw. */
  readonly failed: number;
}

/** Which count of the report each hand-off adds to. */
const COUNT_OF = {
  'handed-over': 'handedOver',
  duplicate: 'duplicates',
  failed: 'failed',
} as const satisfies Record<HandOff, keyof CatchUpReport>;

export interface CatchUpOptions {
  readonly events: EventLogReader;
  /** Events written at or after this are read. */
  readonly since: Date;
  /** Offers one event to the handler through the bus's duplicate filter. */
  readonly handOver: (event: TemplateEvent) => HandOff;
  /** Throws once the bus is closing; called after every wait. */
  readonly throwIfClosing: () => void;
  /** Budget for each read of the log. */
  readonly readTimeoutMillis: number;
  /** Events per read. Default 200. */
  readonly pageSize?: number;
}

/**
 * Reads the events written since `options.since` from the event log, oldest
 * first and a page at a time (a long absence never loads the whole log at
 * once), and offers each to the handler. Stops at the end of the log as it
 * stands when the last page is read: whatever commits later is published
 * later, to a subscription that exists by then.
 *
 * @throws the reader's error, PubSubTimeoutError when a read overruns its
 *   budget, or whatever `throwIfClosing` throws. Events handed over before
 *   that stay handed over; a retry's duplicate filter drops them.
 */
export async function pubsubCatchUp(
  options: CatchUpOptions,
): Promise<CatchUpReport> {
  const { events, handOver, throwIfClosing, readTimeoutMillis } = options;
  const pageSize = options.pageSize ?? 200;

  const fromSequence = await withDeadline(
    events.firstEventSequenceSince(options.since),
    readTimeoutMillis,
    'pubsub catch-up start',
  );
  throwIfClosing();
  const counts = { read: 0, handedOver: 0, duplicates: 0, failed: 0 };
  if (fromSequence === null) return { fromSequence, ...counts };

  let after = fromSequence - 1;
  for (;;) {
    const page = await withDeadline(
      events.listEventsAfter(after, pageSize),
      readTimeoutMillis,
      'pubsub catch-up read',
    );
    for (const { event } of page) {
      throwIfClosing();
      counts.read += 1;
      counts[COUNT_OF[handOver(event)]] += 1;
    }
    throwIfClosing();
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) break;
    after = last.sequence;
  }
  return { fromSequence, ...counts };
}
