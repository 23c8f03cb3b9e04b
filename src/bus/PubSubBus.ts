import type {
  DebugMessage,
  Message,
  PubSub,
  Subscription,
  SubscriberOptions,
  Topic,
} from '@google-cloud/pubsub';

import type { Config } from '../config/config.js';
import { encodeTemplateEvent } from '../domain/templateEventCodec.js';
import type { TemplateEvent } from '../domain/types.js';
import type { Logger } from '../logging/createLogger.js';
import { noopBusMetrics, type BusMetrics } from './BusMetrics.js';
import { pubsubStartError } from './BusUnreachableError.js';
import type { EventBus, EventHandler } from './EventBus.js';
import type { EventLogReader } from './EventLogReader.js';
import {
  checkSubscription,
  deleteSubscription,
  ensureSubscription,
  ensureTopic,
  replaceSubscription,
  type SubscriptionSettings,
} from './pubsubAdmin.js';
import { pubsubBackoffMillis } from './pubsubBackoffMillis.js';
import {
  DEFAULT_PUBSUB_BUS_TUNING,
  createPubSubClient,
  publishOptions,
  subscriberOptions,
  type PubSubBusTuning,
} from './pubsubClientSettings.js';
import { pubsubCatchUp, type CatchUpReport } from './pubsubCatchUp.js';
import { settleWithin, withDeadline } from './pubsubDeadline.js';
import { GrpcStatus, grpcStatusOf } from './pubsubGrpcStatus.js';
import { PubSubMessageHandler } from './PubSubMessageHandler.js';

export { DEFAULT_PUBSUB_BUS_TUNING, type PubSubBusTuning };

export interface PubSubBusOptions {
  /** Pub/Sub settings and this instance's id; the whole Config will do. */
  readonly config: Pick<Config, 'instanceId' | 'pubsub'>;
  readonly logger: Logger;
  readonly metrics?: BusMetrics;
  /**
   * The store's event log. When given, every reattach first hands over the
   * events written since shortly before the stream was lost, which Pub/Sub
   * may no longer hold for us. Without it, events published while this
   * instance's subscription was lost, or held past its retention, are lost
   * to it.
   */
  readonly events?: EventLogReader;
  /** Milliseconds since the epoch; measures budgets and outages. */
  readonly now?: () => number;
  readonly tuning?: Partial<PubSubBusTuning>;
}

/** Written to each message's `schemaVersion`; the codec's `v`. */
const SCHEMA_VERSION = '1';

/**
 * - idle: constructed, not started.
 * - starting: start() is attaching for the first time.
 * - attached: the streaming pull is open and the last probe succeeded.
 * - suspect: a stream reported trouble; a probe decides what it means.
 * - reconnecting: detached, waiting for or running a reconnect attempt.
 * - closing, closed: close() was called; nothing reopens.
 */
type Phase =
  | 'idle'
  | 'starting'
  | 'attached'
  | 'suspect'
  | 'reconnecting'
  | 'closing'
  | 'closed';

/**
 * The Cloud Pub/Sub event bus: one shared topic, and one subscription per
 * instance named `<topic>-<instanceId>` so that every instance receives every
 * event. After losing its stream it reattaches and, given the store's event
 * log, catches up from it: a recreated subscription starts empty, and one
 * kept past its retention has dropped messages, but the store has every
 * event. See docs/pubsub.md for the design and its reasons.
 */
export class PubSubBus implements EventBus {
  readonly kind = 'pubsub' as const;
  /** This instance's subscription, `<topic>-<instanceId>`. */
  readonly subscriptionName: string;

  /** Where Pub/Sub is, for naming it when start() cannot reach it. */
  private readonly endpoint: Pick<
    Config['pubsub'],
    'emulatorHost' | 'projectId'
  >;
  private readonly topicId: string;
  private readonly createTopic: boolean;
  private readonly tuning: PubSubBusTuning;
  private readonly settings: SubscriptionSettings;
  private readonly logger: Logger;
  private readonly metrics: BusMetrics;
  private readonly events: EventLogReader | undefined;
  private readonly now: () => number;
  private readonly pubsub: PubSub;
  private readonly topic: Topic;
  private readonly subscriberOptions: SubscriberOptions;

  private phase: Phase = 'idle';
  private messages: PubSubMessageHandler | undefined;
  /** The open streaming pull, if any. */
  private subscription: Subscription | undefined;
  /** Bumped whenever a stream is retired, so its late events are ignored. */
  private generation = 0;
  private subscriptionCreated = false;
  private attaching: Promise<void> | undefined;
  /** Why the stream opened by the attach in progress ended, if it did. */
  private streamFailure: Error | undefined;
  private probing = false;
  private reconnectAttempt = 0;
  /** When start() began; a catch-up never reaches back past it. */
  private startedAtMillis = 0;
  /** When the current detachment was noticed; kept across failed attempts. */
  private detachedAtMillis = 0;
  /** When the stream last reported trouble that a probe has not settled. */
  private suspectSinceMillis: number | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  constructor(options: PubSubBusOptions) {
    const { instanceId, pubsub } = options.config;
    this.endpoint = pubsub;
    this.topicId = pubsub.topic;
    this.subscriptionName = `${pubsub.topic}-${instanceId}`;
    this.createTopic = pubsub.createTopic;
    this.tuning = { ...DEFAULT_PUBSUB_BUS_TUNING, ...options.tuning };
    this.settings = {
      ttlSeconds: pubsub.subscriptionTtlSeconds,
      ackDeadlineSeconds: this.tuning.ackDeadlineSeconds,
      timeoutMillis: this.tuning.adminTimeoutMillis,
    };
    this.logger = options.logger.child({ module: 'bus', bus: 'pubsub' });
    this.metrics = options.metrics ?? noopBusMetrics;
    this.events = options.events;
    this.now = options.now ?? Date.now;
    this.warnOfShortCatchUpMargin();

    this.pubsub = createPubSubClient(pubsub, this.tuning);
    this.topic = this.pubsub.topic(pubsub.topic, publishOptions(this.tuning));
    this.subscriberOptions = subscriberOptions(this.tuning);
  }

  /**
   * Creates this instance's subscription afresh (replacing one an earlier
   * run left behind, so nothing published before now is replayed), opens the
   * streaming pull and resolves once a probe confirms it.
   *
   * @throws ConfigError naming PUBSUB_TOPIC when the topic is missing and
   *   PUBSUB_CREATE_TOPIC is off; BusUnreachableError naming
   *   PUBSUB_EMULATOR_HOST or GOOGLE_CLOUD_PROJECT (the client's error as
   *   its cause) when Pub/Sub cannot be reached or refuses us.
   */
  async start(handler: EventHandler): Promise<void> {
    if (this.phase !== 'idle') {
      throw new Error(`PubSubBus.start() called while ${this.phase}`);
    }
    this.phase = 'starting';
    this.startedAtMillis = this.now();
    this.messages = new PubSubMessageHandler({
      handler,
      logger: this.logger,
      metrics: this.metrics,
    });
    try {
      await this.track(this.attach({ fresh: true }));
    } catch (err) {
      // Release the client and any half-made subscription before failing.
      await this.close();
      throw pubsubStartError(this.endpoint, err);
    }
    this.probeTimer = setInterval(() => {
      if (this.phase === 'attached') void this.probe();
    }, this.tuning.probeIntervalMillis);
    this.probeTimer.unref();
  }

  async publish(event: TemplateEvent): Promise<void> {
    await this.publishMessage(event);
  }

  /**
   * Publishes `event` and resolves with Pub/Sub's message id once the
   * service has accepted it.
   */
  async publishMessage(event: TemplateEvent): Promise<string> {
    try {
      return await this.topic.publishMessage({
        data: Buffer.from(encodeTemplateEvent(event)),
        attributes: { eventId: event.id, schemaVersion: SCHEMA_VERSION },
      });
    } catch (err) {
      this.metrics.publishFailed(this.kind);
      this.logger.warn({ err, eventId: event.id }, 'pubsub publish failed');
      // A lost topic (an emulator restart) shows here first.
      if (grpcStatusOf(err) === GrpcStatus.NOT_FOUND) void this.probe();
      throw err;
    }
  }

  isAttached(): boolean {
    return this.phase === 'attached';
  }

  /**
   * Stops pulling, deletes this instance's subscription and closes the
   * client, within `closeTimeoutMillis`. Never rejects.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /** Topic, subscription, stream, probe; the steps of start and reconnect. */
  private async attach({ fresh }: { fresh: boolean }): Promise<void> {
    // 1. The shared topic. In production Terraform owns it.
    await ensureTopic(this.topic, {
      topicId: this.topicId,
      createTopic: this.createTopic,
      timeoutMillis: this.tuning.adminTimeoutMillis,
      logger: this.logger,
    });
    this.throwIfClosing();

    // 2. This instance's subscription. At start-up one left under our name
    //    by an earlier run (a SIGKILLed pod) holds events from before we
    //    started: delete it, so the new one begins at this moment. After a
    //    reconnect the subscription is ours and holds what we missed: keep
    //    it unless it was lost.
    if (fresh) {
      await replaceSubscription(
        this.pubsub,
        this.topic,
        this.subscriptionName,
        this.settings,
        this.logger,
      );
    } else {
      await ensureSubscription(
        this.pubsub,
        this.topic,
        this.subscriptionName,
        this.settings,
        this.logger,
      );
    }
    this.subscriptionCreated = true;
    this.throwIfClosing();

    // 3. Open the streaming pull.
    this.streamFailure = undefined;
    this.openStream();

    // 4. gRPC gives no "stream connected" signal; a metadata call that
    //    succeeds after opening shows the service is reachable and the
    //    subscription is there and on our topic.
    await this.checkSubscription();
    this.throwIfClosing();

    // 5. After a reconnect, take from the store what Pub/Sub may not hold:
    //    events published while the subscription was lost (step 2 made a
    //    new, empty one) or kept past its retention. The stream is open, so
    //    anything published from here on arrives there too; the duplicate
    //    filter drops whichever copy comes second.
    if (!fresh) await this.catchUp();

    // 6. The stream must still be open after all that.
    if (this.subscription === undefined) {
      throw this.streamFailure ?? new Error('streaming pull ended at once');
    }
    this.phase = 'attached';
  }

  /**
   * Step 5 of a reattach: hands over the events written since shortly
   * before the stream was lost. A failed read fails the attempt, so the
   * reconnect loop tries again from the same detachment and the bus never
   * reports attached over a gap it knows of.
   */
  private async catchUp(): Promise<void> {
    const { events, messages, subscriptionName } = this;
    if (events === undefined || messages === undefined) return;
    // Never before start(): what was written earlier is not ours to replay.
    const since = new Date(
      Math.max(
        this.startedAtMillis,
        this.detachedAtMillis - this.tuning.catchUpMarginMillis,
      ),
    );

    let report: CatchUpReport;
    try {
      report = await pubsubCatchUp({
        events,
        since,
        handOver: (event) => messages.handleStored(event),
        throwIfClosing: () => this.throwIfClosing(),
        readTimeoutMillis: this.tuning.adminTimeoutMillis,
      });
    } catch (err) {
      this.throwIfClosing();
      this.logger.warn(
        { err, subscriptionName, since: since.toISOString() },
        'pubsub catch-up failed',
      );
      throw err;
    }
    this.logger.info(
      { subscriptionName, since: since.toISOString(), ...report },
      'pubsub caught up',
    );
  }

  /**
   * A margin shorter than it may take to notice a loss leaves a gap the
   * catch-up does not cover; allowed (tests shorten things), but said.
   */
  private warnOfShortCatchUpMargin(): void {
    const { catchUpMarginMillis, probeIntervalMillis, adminTimeoutMillis } =
      this.tuning;
    if (this.events === undefined) return;
    if (catchUpMarginMillis >= probeIntervalMillis + adminTimeoutMillis) return;
    this.logger.warn(
      { catchUpMarginMillis, probeIntervalMillis, adminTimeoutMillis },
      'pubsub catch-up margin is shorter than a probe interval and its ' +
        'timeout; events lost just before a detachment may not be caught up',
    );
  }

  private openStream(): void {
    const generation = ++this.generation;
    const isCurrent = (): boolean =>
      generation === this.generation && this.subscription === subscription;
    const subscription = this.pubsub.subscription(
      this.subscriptionName,
      this.subscriberOptions,
    );
    // An 'error' without a listener would crash the process, so this one
    // stays attached even after the stream is retired.
    subscription.on('error', (err: Error) => {
      if (isCurrent()) this.onStreamFailure(err, 'streaming pull failed');
    });
    subscription.on('close', () => {
      if (isCurrent()) this.onStreamFailure(undefined, 'streaming pull closed');
    });
    subscription.on('debug', (message: DebugMessage) => {
      if (isCurrent()) this.onStreamDebug(message);
    });
    // Messages from a retiring stream are still real events; dedupe covers
    // any the new stream delivers again.
    subscription.on('message', (message: Message) => {
      this.messages?.handle(message);
    });
    this.subscription = subscription;
  }

  /**
   * The client gave up on the stream (a non-retryable status such as
   * NOT_FOUND, or it closed). Attached, that starts the reconnect loop; while
   * attaching, the attempt in progress must fail rather than report success
   * over a dead stream.
   */
  private onStreamFailure(err: unknown, reason: string): void {
    if (this.phase === 'attached' || this.phase === 'suspect') {
      this.detach(err, reason);
      return;
    }
    this.streamFailure =
      err instanceof Error ? err : new Error(reason, { cause: err });
    void this.retireStream();
  }

  /**
   * The client reports streams that ended and will be retried only as debug
   * messages. A non-OK status may be routine (the server rotates streams) or
   * an outage; a probe tells which.
   */
  private onStreamDebug(message: DebugMessage): void {
    const status = grpcStatusOf(message.error);
    if (status === undefined || status === GrpcStatus.OK) return;
    this.logger.debug(
      { status, detail: message.message },
      'pubsub stream ended',
    );
    if (this.phase !== 'attached') return;
    this.phase = 'suspect';
    this.suspectSinceMillis = this.now();
    void this.probe();
  }

  private async probe(): Promise<void> {
    if (this.probing || !['attached', 'suspect'].includes(this.phase)) return;
    this.probing = true;
    // A probe outlived by its stream (detached and reattached meanwhile)
    // speaks of a stream that is gone: its answer must not detach the new.
    const generation = this.generation;
    try {
      await this.checkSubscription();
      if (generation !== this.generation) return;
      if (this.phase === 'suspect') {
        this.phase = 'attached';
        this.suspectSinceMillis = undefined;
      }
    } catch (err) {
      if (generation !== this.generation) return;
      if (this.phase === 'attached' || this.phase === 'suspect') {
        this.detach(err, 'probe failed');
      }
    } finally {
      this.probing = false;
    }
  }

  private checkSubscription(): Promise<void> {
    return withDeadline(
      checkSubscription(
        this.pubsub,
        this.topic,
        this.subscriptionName,
        this.tuning.adminTimeoutMillis,
      ),
      this.tuning.adminTimeoutMillis,
      'pubsub subscription probe',
    );
  }

  /** Drops the current stream and starts the reconnect loop. */
  private detach(err: unknown, reason: string): void {
    if (this.phase !== 'attached' && this.phase !== 'suspect') return;
    this.phase = 'reconnecting';
    // The outage began when the stream first reported trouble, not when a
    // probe (up to adminTimeoutMillis later) confirmed it: that is what
    // 'pubsub reattached' reports and where the catch-up starts.
    this.detachedAtMillis = this.suspectSinceMillis ?? this.now();
    this.suspectSinceMillis = undefined;
    void this.retireStream();
    this.scheduleReconnect(err, reason);
  }

  private scheduleReconnect(err: unknown, reason: string): void {
    const delayMillis = pubsubBackoffMillis(
      this.reconnectAttempt,
      this.tuning.reconnectMinDelayMillis,
      this.tuning.reconnectMaxDelayMillis,
    );
    this.reconnectAttempt += 1;
    this.logger.warn(
      {
        err,
        reason,
        subscriptionName: this.subscriptionName,
        attempt: this.reconnectAttempt,
        delayMillis,
      },
      'pubsub reconnecting',
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delayMillis);
  }

  private async reconnect(): Promise<void> {
    if (this.phase !== 'reconnecting') return;
    try {
      await this.track(this.attach({ fresh: false }));
    } catch (err) {
      if (this.phase !== 'reconnecting') return;
      void this.retireStream();
      this.scheduleReconnect(err, 'reconnect attempt failed');
      return;
    }
    this.metrics.reconnected(this.kind);
    this.logger.info(
      {
        subscriptionName: this.subscriptionName,
        attempts: this.reconnectAttempt,
        detachedMillis: this.now() - this.detachedAtMillis,
      },
      'pubsub reattached',
    );
    this.reconnectAttempt = 0;
  }

  /** Closes the current stream in the background; its events are ignored. */
  private retireStream(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    this.generation += 1;
    if (subscription === undefined) return Promise.resolve();
    return subscription.close().catch((err: unknown) => {
      this.logger.debug({ err }, 'pubsub stream did not close cleanly');
    });
  }

  private async track(attach: Promise<void>): Promise<void> {
    this.attaching = attach;
    try {
      await attach;
    } finally {
      this.attaching = undefined;
    }
  }

  private throwIfClosing(): void {
    if (this.phase === 'closing' || this.phase === 'closed') {
      throw new Error('PubSubBus closed while attaching');
    }
  }

  /** The steps of close(), in order, within closeTimeoutMillis. */
  private async shutdown(): Promise<void> {
    const deadline = this.now() + this.tuning.closeTimeoutMillis;
    const remainingMillis = (): number => Math.max(0, deadline - this.now());
    this.phase = 'closing';

    // 1. No more reconnects or probes: nothing may reopen what we close.
    clearTimeout(this.reconnectTimer);
    clearInterval(this.probeTimer);

    // 2. Stop pulling. Leased messages are nacked and the acks of handled
    //    ones flushed, in half the budget at most so deletion gets its turn.
    //    An attach still in flight could create the subscription after we
    //    delete it, so it is waited for (it gives up when it sees 'closing').
    await settleWithin(
      this.retireStream(),
      remainingMillis() / 2,
      'pubsub stop pulling',
      this.logger,
    );
    if (this.attaching !== undefined) {
      await settleWithin(
        // It fails once it sees 'closing', as it should; only its end counts.
        this.attaching.catch(() => undefined),
        remainingMillis() / 2,
        'pubsub attach in flight',
        this.logger,
      );
      await this.retireStream();
    }

    // 3. Delete this instance's subscription, so Pub/Sub stops keeping
    //    events for an instance that is gone. Should this fail, the
    //    expiration policy removes it after ttlSeconds.
    if (this.subscriptionCreated)
      await this.deleteOwnSubscription(remainingMillis());

    // 4. Send any publishes still batched, then close the gRPC channels.
    await settleWithin(
      this.topic.flush(),
      remainingMillis(),
      'pubsub flush',
      this.logger,
    );
    await settleWithin(
      this.pubsub.close(),
      remainingMillis(),
      'pubsub client close',
      this.logger,
    );
    this.phase = 'closed';
  }

  private async deleteOwnSubscription(timeoutMillis: number): Promise<void> {
    const { subscriptionName } = this;
    try {
      await withDeadline(
        deleteSubscription(this.pubsub, subscriptionName, timeoutMillis),
        timeoutMillis,
        'pubsub subscription delete',
      );
      this.logger.info({ subscriptionName }, 'pubsub subscription deleted');
    } catch (err) {
      this.logger.warn(
        { err, subscriptionName, ttlSeconds: this.settings.ttlSeconds },
        'pubsub subscription not deleted; its expiration policy will remove it',
      );
    }
  }
}
