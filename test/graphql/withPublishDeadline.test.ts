import { jest } from '@jest/globals';

import {
  PublishDeadlineExceededError,
  withPublishDeadline,
} from '../../src/graphql/withPublishDeadline.js';
import { seedEvent } from '../support/seedEvents.js';

/** A publish the test settles by hand. */
function manualPublish() {
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const publishing = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return { publish: () => publishing, settle };
}

/** Records the order in which promises settle. */
function recordSettling(
  events: string[],
  name: string,
  promise: Promise<unknown>,
): void {
  promise.then(
    () => events.push(`${name} resolved`),
    (err: unknown) =>
      events.push(
        `${name} rejected: ${err instanceof Error ? err.name : String(err)}`,
      ),
  );
}

describe('withPublishDeadline', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('gives up at the deadline, not before, and lets the publish go on', async () => {
    const { publish, settle } = manualPublish();
    const events: string[] = [];
    const event = seedEvent('zowi', ['location-3']);
    const answer = withPublishDeadline(publish, 1_000)(event);
    recordSettling(events, 'answer', answer);

    await jest.advanceTimersByTimeAsync(999);
    expect(events).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['answer rejected: PublishDeadlineExceededError']);
    const err = await answer.catch((error: unknown) => error);
    expect(err).toBeInstanceOf(PublishDeadlineExceededError);
    expect(err).toMatchObject({ eventId: event.id, deadlineMillis: 1_000 });

    // The bus accepts it later: the error's `publishing` says so.
    recordSettling(
      events,
      'publishing',
      (err as PublishDeadlineExceededError).publishing,
    );
    settle.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual([
      'answer rejected: PublishDeadlineExceededError',
      'publishing resolved',
    ]);
  });

  it('settles as the bus does when the bus is in time, leaving no timer', async () => {
    const { publish, settle } = manualPublish();
    const answer = withPublishDeadline(publish, 1_000)(seedEvent('zowi', []));
    await jest.advanceTimersByTimeAsync(500);
    settle.resolve();
    await expect(answer).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('passes on a refusal within the deadline', async () => {
    const { publish, settle } = manualPublish();
    const answer = withPublishDeadline(publish, 1_000)(seedEvent('zowi', []));
    settle.reject(new Error('topic unreachable'));
    await expect(answer).rejects.toThrow('topic unreachable');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('leaves a refusal after the deadline to the error’s publishing promise', async () => {
    const { publish, settle } = manualPublish();
    const answer = withPublishDeadline(publish, 1_000)(seedEvent('zowi', []));
    const refusal = answer.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1_000);
    const err = (await refusal) as PublishDeadlineExceededError;
    expect(err).toBeInstanceOf(PublishDeadlineExceededError);
    settle.reject(new Error('topic unreachable'));
    await expect(err.publishing).rejects.toThrow('topic unreachable');
  });
});
