import type { Logger } from 'pino';

import type { TemplateEvent } from '../domain/types.js';
import type { Store } from '../store/Store.js';

export interface OutboxRelayOptions {
  readonly store: Pick<Store, 'listUnpublishedEvents' | 'markEventPublished'>;
  /** Usually `bus.publish`. */
  readonly publish: (event: TemplateEvent) => Promise<void>;
  readonly logger: Logger;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  readonly now?: () => number;
  /** Pause between rounds. Default 5 s. */
  readonly intervalMillis?: number;
  /**
   * Events younger than this are left alone: the request that wrote them is
   * probably still publishing. Default 10 s.
   */
  readonly minimumAgeMillis?: number;
  /** Events republished per round at most. Default 100. */
  readonly batchSize?: number;
}

/**
 * Publishes events the store holds as unpublished: those whose publish
 * failed after the commit, or whose pod died in between. Every pod runs one;
 * when two republish the same event, buses drop the duplicate by event id.
 */
export class OutboxRelay {
  private readonly store: OutboxRelayOptions['store'];
  private readonly publish: OutboxRelayOptions['publish'];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly intervalMillis: number;
  private readonly minimumAgeMillis: number;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;
  private stopped = false;
  private signalStop: () => void = () => undefined;
  /** Resolves when stop() is called: a publish in flight is not awaited. */
  private readonly stopSignal = new Promise<'stopped'>((resolve) => {
    this.signalStop = () => resolve('stopped');
  });

  constructor(options: OutboxRelayOptions) {
    this.store = options.store;
    this.publish = options.publish;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.intervalMillis = options.intervalMillis ?? 5_000;
    this.minimumAgeMillis = options.minimumAgeMillis ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
  }

  /** Starts the periodic rounds. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.schedule();
  }

  /**
   * One round: publishes what is due and marks it published.
   *
   * @returns how many events were published.
   */
  runOnce(): Promise<number> {
    this.round ??= this.republish().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  /**
   * Stops scheduling and waits for a round in progress, but not for a
   * publish in flight: with the bus down, one can take the bus client's
   * whole retry budget, longer than shutdown may. The event stays
   * unpublished and a relay republishes it later.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'outbox round failed');
        })
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.intervalMillis);
    // Rounds never keep a process alive on their own.
    this.timer.unref();
  }

  private async republish(): Promise<number> {
    const writtenBefore = new Date(this.now() - this.minimumAgeMillis);
    const due = await this.store.listUnpublishedEvents(
      writtenBefore,
      this.batchSize,
    );
    let published = 0;
    for (const { event } of due) {
      if (this.stopped) break;
      try {
        const outcome = await Promise.race([
          this.publish(event).then(() => 'published' as const),
          this.stopSignal,
        ]);
        if (outcome === 'stopped') break;
      } catch (err) {
        // The bus is likely down: the next round tries again.
        this.logger.warn({ err, eventId: event.id }, 'outbox republish failed');
        break;
      }
      await this.store.markEventPublished(event.id);
      published += 1;
    }
    if (published > 0) {
      this.logger.info({ published }, 'outbox republished events');
    }
    return published;
  }
}
