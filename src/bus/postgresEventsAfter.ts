import type { EventLogReader, SequencedEvent } from './EventLogReader.js';

/**
 * The events after `sequence`, oldest first, read a page at a time so a long
 * absence never loads the whole log at once. Stops at the end of the log as
 * it stands when the last page is read.
 */
export async function* postgresEventsAfter(
  events: EventLogReader,
  sequence: number,
  pageSize = 200,
): AsyncGenerator<SequencedEvent> {
  let after = sequence;
  for (;;) {
    const page = await events.listEventsAfter(after, pageSize);
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    after = last.sequence;
  }
}
