import type { GraphQLOperationType } from './ServerMetrics.js';

/** Why `ConnectionOperations.admit` turned a subscribe away. */
export type OperationRefusal =
  /** An earlier operation with this id is still finishing on the server. */
  | 'id-in-use'
  /** The connection already runs its maximum of subscriptions. */
  | 'too-many-subscriptions';

/**
 * The part of graphql-ws's connection context that records its operations
 * by message id (`ctx` itself does). graphql-ws replaces `subscriptions`
 * with an empty record when the socket closes, so it is read each time.
 */
export interface OperationSlots {
  readonly subscriptions: Record<
    string,
    AsyncGenerator<unknown> | AsyncIterable<unknown> | null
  >;
}

interface Operation {
  readonly type: GraphQLOperationType;
  /**
   * What `subscriptions[id]` holds from `admit` until graphql-ws stores the
   * operation's result there. If something else is there when the result
   * arrives, the client completed the operation while it was starting.
   */
  readonly placeholder: AsyncGenerator<never, void>;
}

/**
 * The operations one graphql-ws connection is running, from `admit` (in
 * onSubscribe) to `finish` (in onComplete), and the limits on them.
 *
 * It exists because graphql-ws 6.4.2 keys its own record of a connection's
 * operations by the client's id alone, and loses track of an operation when
 * a client completes it and subscribes again with the same id before the
 * server has finished with the first: the second overwrites the first, and
 * the first runs on, unstoppable, even after the socket closes (see
 * enisdenjo/graphql-ws#532 for a relative). So an id is refused while an
 * operation that used it is still running here, and an operation whose
 * client completed it before it started is ended the moment it starts.
 */
export class ConnectionOperations {
  private readonly operations = new Map<string, Operation>();
  private subscriptions = 0;

  /**
   * @param slots graphql-ws's `ctx` for this connection.
   * @param maxSubscriptions subscriptions this connection may run at once.
   */
  constructor(
    private readonly slots: OperationSlots,
    private readonly maxSubscriptions: number,
  ) {}

  /** Whether an operation with this id is still running here. */
  isRunning(id: string): boolean {
    return this.operations.has(id);
  }

  /**
   * Starts tracking the operation `id` of `type` unless it must be refused.
   * Call it from onSubscribe, which graphql-ws calls right after reserving
   * `ctx.subscriptions[id]`, and only for an operation that will be run.
   */
  admit(id: string, type: GraphQLOperationType): OperationRefusal | undefined {
    if (this.operations.has(id)) return 'id-in-use';
    if (
      type === 'subscription' &&
      this.subscriptions >= this.maxSubscriptions
    ) {
      return 'too-many-subscriptions';
    }

    const placeholder = emptyGenerator();
    this.operations.set(id, { type, placeholder });
    if (type === 'subscription') this.subscriptions += 1;
    // graphql-ws deletes the slot when the client completes the operation,
    // and calls return() on what it holds (here a no-op) when the socket
    // closes; both leave the placeholder's identity to compare against.
    this.slots.subscriptions[id] = placeholder;
    return undefined;
  }

  /**
   * Whether the client completed operation `id` before it started (call it
   * from onOperation). The caller then ends the operation's result instead
   * of letting it run.
   */
  wasCompletedEarly(id: string): boolean {
    const operation = this.operations.get(id);
    return (
      operation !== undefined &&
      this.slots.subscriptions[id] !== operation.placeholder
    );
  }

  /** Stops tracking operation `id` (call it from onComplete). */
  finish(id: string): void {
    const operation = this.operations.get(id);
    if (operation === undefined) return;
    this.operations.delete(id);
    if (operation.type === 'subscription') this.subscriptions -= 1;
  }
}

/**
 * A result with nothing in it, to hand graphql-ws in place of an operation
 * that must not run: it completes at once.
 */
export function emptyGenerator(): AsyncGenerator<never, void> {
  return (async function* () {})();
}
