import type { TemplateEvent } from '../domain/types.js';

/** An event with its position in the event log it was read from. */
export interface SequencedEvent {
  /**
   * Allocated when the event is written. Increasing, but transactions can
   * commit out of sequence order, so a reader may see 12 before 11.
   */
  readonly sequence: number;
  readonly event: TemplateEvent;
}

/**
 * The part of the event log the buses read: the postgres bus's
 * notifications carry only event ids, so payloads come from here, and both
 * buses catch up from it after losing their stream. The bus layer may not
 * import the store (DESIGN.md, layers); the store satisfies this
 * structurally and main.ts passes it in.
 */
export interface EventLogReader {
  /** One event by id, or null when there is no such event. */
  getEvent(eventId: string): Promise<SequencedEvent | null>;

  /** Up to `limit` events with a sequence above `sequence`, oldest first. */
  listEventsAfter(
    sequence: number,
    limit: number,
  ): Promise<readonly SequencedEvent[]>;

  /** The highest sequence written, or 0 when the log is empty. */
  latestEventSequence(): Promise<number>;

  /**
   * The lowest sequence among events written at or after `since`, or null
   * when there is none. "Written" is the event's stamp from the clock of the
   * instance that wrote it, which need not rise with the sequence: reading
   * on from just below this sequence returns every event written since, and
   * perhaps a few written a little before.
   */
  firstEventSequenceSince(since: Date): Promise<number | null>;
}
