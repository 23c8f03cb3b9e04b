import type { EventBus } from '../bus/EventBus.js';
import type { Store } from '../store/Store.js';
import { acceptsTraffic, type ServerPhase } from './ServerPhase.js';

/** The body of GET /readyz: each check's state, and which ones failed. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: {
    readonly phase: ServerPhase;
    readonly store: 'reachable' | 'unreachable';
    readonly bus: 'attached' | 'detached';
  };
  /** The checks that failed, by name; empty when ready. */
  readonly failed: readonly ('phase' | 'store' | 'bus')[];
}

export interface ReadinessCheckOptions {
  readonly phase: () => ServerPhase;
  readonly store: Pick<Store, 'ping'>;
  readonly bus: Pick<EventBus, 'isAttached'>;
  /** A store slower than this counts as unreachable. Default 2 s. */
  readonly storeTimeoutMillis?: number;
}

/**
 * Ready means: started and not draining, the store answers, and the bus is
 * attached (events published now would reach this pod's subscribers).
 */
export function createReadinessCheck(
  options: ReadinessCheckOptions,
): () => Promise<ReadinessReport> {
  const storeTimeoutMillis = options.storeTimeoutMillis ?? 2_000;

  return async () => {
    const phase = options.phase();
    const busAttached = options.bus.isAttached();
    const storeReachable = await pingWithin(options.store, storeTimeoutMillis);
    const failed = [
      ...(acceptsTraffic(phase) ? [] : ['phase' as const]),
      ...(storeReachable ? [] : ['store' as const]),
      ...(busAttached ? [] : ['bus' as const]),
    ];
    return {
      ready: failed.length === 0,
      checks: {
        phase,
        store: storeReachable ? 'reachable' : 'unreachable',
        bus: busAttached ? 'attached' : 'detached',
      },
      failed,
    };
  };
}

async function pingWithin(
  store: Pick<Store, 'ping'>,
  timeoutMillis: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMillis);
  });
  try {
    return await Promise.race([
      store.ping().then(
        () => true,
        () => false,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
