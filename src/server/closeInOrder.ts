import type { Logger } from 'pino';

/** One thing to close at shutdown, named for the logs. */
export interface Closable {
  readonly name: string;
  close(): Promise<void> | void;
  /**
   * How long this one may take before it is abandoned and the next one
   * closes; for a step that can hang on something else (a stalled
   * database) and must not starve the steps after it. Default: whatever is
   * left of the whole budget.
   */
  readonly timeoutMillis?: number;
}

/** How a shutdown ended. */
export type ShutdownOutcome =
  /** Everything closed. */
  | 'clean'
  /** Everything was tried, and at least one close threw. */
  | 'failed'
  /** The time budget ran out; whatever was still closing was left. */
  | 'timed-out';

export interface CloseInOrderOptions {
  /** The whole budget, for all components together. */
  readonly timeoutMillis: number;
  readonly logger: Logger;
}

/**
 * Closes `components` one at a time, in the order given, within one time
 * budget. A component that throws, or overruns a `timeoutMillis` of its
 * own, is logged and the next one still closes; one that hangs past the
 * whole budget is named in the error log, and the rest are abandoned (the
 * process is about to exit anyway).
 */
export async function closeInOrder(
  components: readonly Closable[],
  options: CloseInOrderOptions,
): Promise<ShutdownOutcome> {
  const { timeoutMillis, logger } = options;
  let current: string | undefined;
  let failures = 0;

  const work = (async () => {
    for (const component of components) {
      current = component.name;
      try {
        const closed = Promise.resolve(component.close());
        const limitMillis = component.timeoutMillis ?? Infinity;
        if ((await within(closed, limitMillis)) === LATE) {
          failures += 1;
          logger.error(
            { component: component.name, timeoutMillis: limitMillis },
            'closing took too long; abandoned, the next one closes',
          );
        }
      } catch (err) {
        failures += 1;
        logger.error({ err, component: component.name }, 'closing failed');
      }
    }
    current = undefined;
    return failures === 0 ? ('clean' as const) : ('failed' as const);
  })();

  const outcome = await within(work, timeoutMillis);
  if (outcome !== LATE) return outcome;
  logger.error(
    { timeoutMillis, component: current },
    'shutdown did not finish in time',
  );
  return 'timed-out';
}

const LATE = Symbol('late');

/**
 * What `promise` settles with, or LATE once `millis` have passed first (an
 * Infinity limit sets no timer). A rejection passes through.
 */
async function within<T>(
  promise: Promise<T>,
  millis: number,
): Promise<T | typeof LATE> {
  if (millis === Infinity) return promise;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), millis);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
