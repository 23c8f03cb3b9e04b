import pg from 'pg';

import { InvalidEventError } from '../domain/templateEventCodec.js';
import type { TemplateEvent } from '../domain/types.js';
import type { Logger } from '../logging/createLogger.js';
import { noopBusMetrics, type BusMetrics } from './BusMetrics.js';
import type { EventBus, EventHandler } from './EventBus.js';
import type { EventLogReader, SequencedEvent } from './EventLogReader.js';
import { postgresEventsAfter } from './postgresEventsAfter.js';
import { postgresReconnectDelayMillis } from './postgresReconnectDelayMillis.js';
import { RecentEventIds } from './RecentEventIds.js';

export interface PostgresBusOptions {
  /** The store's database. The bus opens connections of its own to it. */
  readonly connectionString: string;
  /** Where payloads are read: a notification carries only the event id. */
  readonly events: EventLogReader;
  readonly logger: Logger;
  /** Default: counts nothing. */
  readonly metrics?: BusMetrics;
  /** The NOTIFY channel, a lower-case SQL identifier. Default `template_events`. */
  readonly channel?: string;
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** First reconnect delay; doubles per failed attempt. Default 250. */
  readonly reconnectInitialDelayMillis?: number;
  /** Longest reconnect delay. Default 30_000. */
  readonly reconnectMaxDelayMillis?: number;
  /**
   * How many sequences behind the highest one handled a catch-up re-reads,
   * for transactions that committed out of sequence order. Default 1_000.
   */
  readonly catchUpWindow?: number;
}

type Phase = 'new' | 'starting' | 'started' | 'closed';

const KIND = 'postgres';
const APPLICATION_NAME = 'template-feed-bus';
// Bounds a connection attempt to a server that does not answer at all, and
// with it how long close() can wait for a reconnect under way.
const CONNECTION_TIMEOUT_MILLIS = 5_000;
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `postgres` bus: LISTEN/NOTIFY on the store's database. publish()
 * notifies the event id only; every instance reads the payload from the
 * store, so events are not bound by NOTIFY's 8,000-byte limit. The store is
 * the source of truth: after a lost connection the bus re-reads the event
 * log from where it was. See docs/postgres-bus.md.
 */
export class PostgresBus implements EventBus {
  readonly kind = KIND;

  private readonly events: EventLogReader;
  private readonly logger: Logger;
  private readonly metrics: BusMetrics;
  private readonly channel: string;
  private readonly now: () => number;
  private readonly reconnectInitialDelayMillis: number;
  private readonly reconnectMaxDelayMillis: number;
  private readonly catchUpWindow: number;
  private readonly clientConfig: pg.ClientConfig;
  private readonly publisher: pg.Pool;
  private readonly seen: RecentEventIds;

  private phase: Phase = 'new';
  private handler: EventHandler | undefined;
  /** The listening connection while attached; undefined while away. */
  private listener: pg.Client | undefined;
  /** Where the log ended at start; catch-ups never replay what came before. */
  private startSequence = 0;
  /** Ids of the events in the catch-up window below `startSequence`. */
  private readonly historyIds = new Set<string>();
  /** The highest sequence handed to the handler, or `startSequence`. */
  private highWaterSequence = 0;
  /** Deliveries and catch-ups, one at a time and in arrival order. */
  private work: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnecting: Promise<void> | undefined;
  private reconnectAttempt = 0;
  private detachedAtMillis = 0;

  constructor(options: PostgresBusOptions) {
    this.events = options.events;
    this.metrics = options.metrics ?? noopBusMetrics;
    this.channel = options.channel ?? 'template_events';
    this.now = options.now ?? Date.now;
    this.reconnectInitialDelayMillis =
      options.reconnectInitialDelayMillis ?? 250;
    this.reconnectMaxDelayMillis = options.reconnectMaxDelayMillis ?? 30_000;
    this.catchUpWindow = options.catchUpWindow ?? 1_000;
    if (!CHANNEL_NAME.test(this.channel)) {
      throw new RangeError('channel must be a lower-case SQL identifier');
    }
    if (!Number.isInteger(this.catchUpWindow) || this.catchUpWindow < 0) {
      throw new RangeError('catchUpWindow must be a non-negative integer');
    }
    this.logger = options.logger.child({
      module: 'bus',
      bus: 'postgres',
      channel: this.channel,
    });
    // Well above the window, so ids a catch-up re-reads are still known.
    this.seen = new RecentEventIds(Math.max(10_000, 2 * this.catchUpWindow));

    this.clientConfig = {
      connectionString: options.connectionString,
      application_name: APPLICATION_NAME,
      connectionTimeoutMillis: CONNECTION_TIMEOUT_MILLIS,
      // A LISTEN connection is idle by design; keepalives notice a peer that
      // vanished without closing the socket.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    // Publishing is one short statement; two connections are plenty, and
    // they keep publish() working while the listener reconnects.
    this.publisher = new pg.Pool({
      ...this.clientConfig,
      application_name: `${APPLICATION_NAME}-publish`,
      max: 2,
      idleTimeoutMillis: 30_000,
    });
    this.publisher.on('error', (err) => {
      this.logger.warn({ err }, 'postgres bus idle publish connection failed');
    });
  }

  /** Rejects when the database cannot be reached; the bus is then closed. */
  async start(handler: EventHandler): Promise<void> {
    if (this.phase !== 'new') {
      throw new Error('PostgresBus.start() may be called once');
    }
    this.phase = 'starting';
    this.handler = handler;

    try {
      // LISTEN before reading where the log ends: whatever commits after
      // this point is notified, so nothing falls between the two.
      await this.connectListener();

      // Events up to the log's end are history, which a catch-up must not
      // replay; the ones its window reaches are remembered for it to skip.
      this.startSequence = await this.events.latestEventSequence();
      await this.rememberHistory();
      this.highWaterSequence = Math.max(
        this.highWaterSequence,
        this.startSequence,
      );
    } catch (err) {
      await this.close();
      throw err;
    }

    if (this.phase !== 'starting') {
      throw new Error('PostgresBus was closed while starting');
    }
    this.phase = 'started';
    this.logger.info(
      { startSequence: this.startSequence },
      'postgres bus listening',
    );
  }

  async publish(event: TemplateEvent): Promise<void> {
    if (this.isClosed()) {
      this.metrics.publishFailed(KIND);
      throw new Error('PostgresBus is closed');
    }
    try {
      // Only the id: the event is already committed to the store, and a
      // payload could exceed NOTIFY's 8,000 bytes.
      await this.publisher.query('SELECT pg_notify($1, $2)', [
        this.channel,
        event.id,
      ]);
    } catch (err) {
      this.metrics.publishFailed(KIND);
      throw err;
    }
  }

  isAttached(): boolean {
    return this.phase === 'started' && this.listener !== undefined;
  }

  async close(): Promise<void> {
    if (this.isClosed()) return;
    this.phase = 'closed';

    // Stop reconnecting first, so nothing connects again behind our back.
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.reconnecting;

    // UNLISTEN and hang up the listening connection.
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) await this.endListener(listener);

    // Let a delivery under way finish: no handler call after close().
    await this.work;

    try {
      await this.publisher.end();
    } catch (err) {
      this.logger.warn({ err }, 'postgres bus publish pool did not close');
    }
    this.logger.info('postgres bus closed');
  }

  /** Connects, LISTENs and makes the connection the current listener. */
  private async connectListener(): Promise<pg.Client> {
    const client = new pg.Client(this.clientConfig);
    // Attached before connecting: pg emits 'error' on a client whose socket
    // dies, and an unhandled 'error' would take the process down.
    client.on('error', (err) => this.onConnectionLost(client, err));
    client.on('end', () => this.onConnectionLost(client, undefined));
    client.on('notification', (message) =>
      this.onNotification(client, message),
    );
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.isClosed()) {
      await client.end().catch(() => undefined);
      throw new Error('PostgresBus was closed while connecting');
    }
    this.listener = client;
    return client;
  }

  private async endListener(client: pg.Client): Promise<void> {
    if (this.listener === client) this.listener = undefined;
    try {
      await client.query(`UNLISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch {
      // The connection is already gone, and its LISTEN with it.
    }
    await client.end().catch(() => undefined);
  }

  private onConnectionLost(client: pg.Client, err: Error | undefined): void {
    this.detach(client, err, 'postgres bus connection lost; reconnecting');
  }

  /**
   * Drops `client` and reconnects. Used both when the connection fails and
   * when the store cannot be read, since either may have cost us events and
   * the catch-up after reconnecting recovers them.
   */
  private detach(client: pg.Client, err: unknown, message: string): void {
    if (client !== this.listener || this.isClosed()) return;
    this.listener = undefined;
    this.detachedAtMillis = this.now();
    this.logger.warn({ err }, message);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMillis = postgresReconnectDelayMillis(
      this.reconnectAttempt,
      this.reconnectInitialDelayMillis,
      this.reconnectMaxDelayMillis,
    );
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.reconnecting = this.reconnect().finally(() => {
        this.reconnecting = undefined;
      });
    }, delayMillis);
  }

  private async reconnect(): Promise<void> {
    if (this.isClosed()) return;
    let listener: pg.Client;
    try {
      listener = await this.connectListener();
    } catch (err) {
      if (this.isClosed()) return;
      this.logger.warn(
        { err, attempt: this.reconnectAttempt },
        'postgres bus reconnect failed',
      );
      this.scheduleReconnect();
      return;
    }

    this.reconnectAttempt = 0;
    this.metrics.reconnected(KIND);
    this.logger.info(
      { detachedMillis: this.now() - this.detachedAtMillis },
      'postgres bus reconnected',
    );

    // Listening again; now recover what was notified while we were away.
    void this.enqueue(() => this.catchUp(listener));
  }

  /**
   * Hands the handler every event written while the listener was away.
   *
   * Why re-read behind the high-water mark: sequences are allocated when a
   * transaction inserts, not when it commits. Transaction A can take 41,
   * transaction B 42, and B commit first; if we handle 42 and then lose the
   * connection before A commits, reading "after 42" would skip 41 for good.
   * So the catch-up starts `catchUpWindow` sequences lower and lets the
   * de-duplication set drop what was already handled, and the history set
   * what was there before start. The window only has to exceed the
   * sequences in flight at once (roughly the writers' connections across all
   * pods). PostgresStore serialises its own event inserts, which makes this
   * rare; the window keeps the bus right for any other writer too.
   */
  private async catchUp(listener: pg.Client): Promise<void> {
    const fromSequence = Math.max(
      0,
      this.highWaterSequence - this.catchUpWindow,
    );
    // Once the window has moved past the start, history is out of reach.
    if (fromSequence >= this.startSequence) this.historyIds.clear();

    let delivered = 0;
    try {
      for await (const stored of postgresEventsAfter(
        this.events,
        fromSequence,
      )) {
        if (this.isClosed()) return;
        if (this.historyIds.has(stored.event.id)) continue;
        if (this.deliver(stored, false)) delivered += 1;
      }
    } catch (err) {
      this.detach(listener, err, 'postgres bus catch-up failed; reconnecting');
      return;
    }
    this.logger.info({ fromSequence, delivered }, 'postgres bus caught up');
  }

  /**
   * Records the ids of the events a first catch-up window would re-read from
   * before start. Kept apart from the de-duplication set on purpose: a
   * notification for one of them (the outbox relay republishing an event no
   * pod got) is still delivered; only catch-ups skip them.
   */
  private async rememberHistory(): Promise<void> {
    if (this.catchUpWindow === 0) return;
    const from = Math.max(0, this.startSequence - this.catchUpWindow);
    for await (const stored of postgresEventsAfter(this.events, from)) {
      if (stored.sequence > this.startSequence) return;
      this.historyIds.add(stored.event.id);
    }
  }

  private onNotification(client: pg.Client, message: pg.Notification): void {
    if (message.channel !== this.channel || this.isClosed()) return;
    const payload = message.payload ?? '';
    void this.enqueue(() => this.receive(payload, client));
  }

  private async receive(eventId: string, listener: pg.Client): Promise<void> {
    if (this.isClosed()) return;
    if (!UUID.test(eventId)) {
      this.dropInvalid(
        eventId,
        'postgres bus dropped a notification that is not an event id',
      );
      return;
    }

    let stored: SequencedEvent | null;
    try {
      stored = await this.events.getEvent(eventId);
    } catch (err) {
      if (err instanceof InvalidEventError) {
        this.dropInvalid(eventId, 'postgres bus dropped an unreadable event');
        return;
      }
      // The event is in the store but we could not read it; the catch-up
      // after reconnecting will.
      this.detach(
        listener,
        err,
        'postgres bus could not read an event; reconnecting',
      );
      return;
    }
    if (stored === null) {
      this.dropInvalid(
        eventId,
        'postgres bus dropped a notification for an unknown event',
      );
      return;
    }
    this.deliver(stored, true);
  }

  private dropInvalid(eventId: string, message: string): void {
    this.metrics.invalidMessageDropped(KIND);
    // Truncated: a notification payload is anyone's text, up to 8,000 bytes.
    this.logger.warn({ eventId: eventId.slice(0, 100) }, message);
  }

  /**
   * Hands `stored` to the handler unless it was handled already. Returns
   * whether it was handed over.
   *
   * @param countDuplicate false in a catch-up, whose re-reads are expected.
   */
  private deliver(stored: SequencedEvent, countDuplicate: boolean): boolean {
    const { sequence, event } = stored;
    this.highWaterSequence = Math.max(this.highWaterSequence, sequence);
    if (!this.seen.add(event.id)) {
      if (countDuplicate) this.metrics.duplicateDropped(KIND);
      this.logger.debug({ eventId: event.id }, 'duplicate event dropped');
      return false;
    }
    if (this.isClosed() || this.handler === undefined) return false;

    this.metrics.eventReceived(KIND);
    this.logger.debug({ eventId: event.id, sequence }, 'event received');
    try {
      this.handler(event);
    } catch (err) {
      this.logger.error({ err, eventId: event.id }, 'event handler threw');
    }
    return true;
  }

  // A method, not a comparison: TypeScript would narrow `phase` across awaits.
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Runs `task` after the ones before it; never rejects. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(task).catch((err: unknown) => {
      this.logger.error({ err }, 'postgres bus task failed');
    });
    return this.work;
  }
}
