import type { Logger } from '../logging/createLogger.js';

/** An operation did not settle within the time it was given. */
export class PubSubTimeoutError extends Error {
  override readonly name = 'PubSubTimeoutError';

  constructor(
    readonly operation: string,
    readonly timeoutMillis: number,
  ) {
    super(`${operation} did not finish within ${timeoutMillis} ms`);
  }
}

/**
 * Settles like `promise`, or rejects with PubSubTimeoutError after
 * `timeoutMillis`. The operation itself is not cancelled; callers use this
 * where waiting longer is worse than abandoning it (shutdown, probes).
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMillis: number,
  operation: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PubSubTimeoutError(operation, timeoutMillis)),
      Math.max(0, timeoutMillis),
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `promise` within `timeoutMillis` and never throws: a failure or
 * a timeout is logged at warn. For shutdown steps, which must not stop the
 * steps after them.
 */
export async function settleWithin(
  promise: Promise<unknown>,
  timeoutMillis: number,
  operation: string,
  logger: Logger,
): Promise<void> {
  try {
    await withDeadline(promise, timeoutMillis, operation);
  } catch (err) {
    logger.warn({ err, operation }, 'pubsub close step did not finish');
  }
}
