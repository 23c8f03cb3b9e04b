import type { PublishEvent } from './GraphQLContext.js';

/**
 * How long addTemplate waits for the bus to accept an event before it
 * answers anyway. The template is committed by then and the outbox relay
 * publishes the event later, so waiting longer only makes callers time out
 * and retry (creating duplicates). Pub/Sub accepts a publish in
 * milliseconds when it is up; its client retries for far longer when not.
 */
export const PUBLISH_DEADLINE_MILLIS = 1_000;

/**
 * The bus did not accept an event within the deadline. The publish itself
 * goes on: `publishing` settles when the bus finally accepts or refuses it.
 */
export class PublishDeadlineExceededError extends Error {
  override readonly name = 'PublishDeadlineExceededError';

  constructor(
    readonly eventId: string,
    readonly deadlineMillis: number,
    /** The publish still in flight; never rejects unhandled. */
    readonly publishing: Promise<void>,
  ) {
    super(`publishing event ${eventId} took longer than ${deadlineMillis} ms`);
  }
}

/**
 * Wraps `publish` so that it settles within `deadlineMillis`: as the bus
 * does, or by rejecting with PublishDeadlineExceededError. A publish that
 * settles after the deadline is not an unhandled rejection.
 */
export function withPublishDeadline(
  publish: PublishEvent,
  deadlineMillis: number,
): PublishEvent {
  return async (event) => {
    const publishing = publish(event);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new PublishDeadlineExceededError(
            event.id,
            deadlineMillis,
            publishing,
          ),
        );
      }, deadlineMillis);
    });
    try {
      // race() also handles `publishing` rejecting after the deadline.
      await Promise.race([publishing, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
