import { BoundedQueue } from './BoundedQueue.js';
import type { SubscriberEndReason } from './FanoutMetrics.js';

/** What became of an item offered to a stream. */
export type OfferResult =
  /** A consumer was waiting in `next()`; it has the item now. */
  | 'handed'
  /** Queued until the consumer next asks. */
  | 'queued'
  /** The queue is full; the item was not taken and the stream is unchanged. */
  | 'full'
  /** The stream has ended; the item was not taken. */
  | 'ended';

export interface SubscriberStreamOptions<T> {
  /** Items that may wait for a slow consumer before offers say 'full'. */
  readonly capacity: number;
  /**
   * Called once, synchronously, when the stream stops taking items, for
   * whatever reason: the place to drop every reference to it.
   */
  readonly onEnd: (reason: SubscriberEndReason) => void;
  /** Called as each item is handed to the consumer (for delay metrics). */
  readonly onHandOff?: (item: T) => void;
}

interface Waiter<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (error: Error) => void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * One subscriber's side of the fan-out: an async iterator fed by `offer()`.
 * It is what a GraphQL subscription resolver returns, so it keeps the
 * promises graphql-ws relies on: `return()` (client completed, socket gone)
 * ends it at once, even before the first `next()`, and settles any `next()`
 * still waiting, so nothing stays pending or referenced afterwards.
 */
export class SubscriberStream<T> implements AsyncIterableIterator<
  T,
  undefined,
  undefined
> {
  private readonly queue: BoundedQueue<T>;
  private readonly waiters: Waiter<T>[] = [];
  private open = true;
  // Set when the stream failed and the consumer has not been told yet.
  private failure: Error | undefined = undefined;

  constructor(private readonly options: SubscriberStreamOptions<T>) {
    this.queue = new BoundedQueue(options.capacity);
  }

  /** True until the stream ends; only then does it take items. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Consumers waiting in `next()`; zero whenever items are queued. */
  get pendingNextCount(): number {
    return this.waiters.length;
  }

  /** Items waiting for the consumer. */
  get queuedCount(): number {
    return this.queue.size;
  }

  /** Hands `item` to a waiting consumer, or queues it if there is room. */
  offer(item: T): OfferResult {
    if (!this.open) return 'ended';
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.options.onHandOff?.(item);
      waiter.resolve({ done: false, value: item });
      return 'handed';
    }
    return this.queue.push(item) ? 'queued' : 'full';
  }

  /**
   * Ends the stream with `error`: queued items are dropped, and the
   * consumer's next `next()` (or the one waiting now) rejects with it.
   */
  fail(error: Error, reason: SubscriberEndReason): void {
    if (!this.open) return;
    this.open = false;
    this.queue.clear();
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.failure = error;
    } else {
      waiter.reject(error);
      this.settleWaiters();
    }
    this.options.onEnd(reason);
  }

  /**
   * Ends the stream normally: queued items are dropped and the consumer sees
   * `done`. Returns how many items were dropped.
   */
  end(reason: SubscriberEndReason): number {
    // A consumer that ends a failed stream no longer wants the error.
    this.failure = undefined;
    if (!this.open) return 0;
    this.open = false;
    const dropped = this.queue.clear();
    this.settleWaiters();
    this.options.onEnd(reason);
    return dropped;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (!this.queue.isEmpty) {
      const item = this.queue.shift() as T;
      this.options.onHandOff?.(item);
      return Promise.resolve({ done: false, value: item });
    }
    if (!this.open) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /** The consumer is gone: end now, even before the first `next()`. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.end('unsubscribed');
    return Promise.resolve(DONE);
  }

  /** Ends the stream like `return()`, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.end('unsubscribed');
    return Promise.reject(
      error instanceof Error ? error : new Error(String(error)),
    );
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(DONE);
  }
}
