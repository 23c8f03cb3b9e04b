import { randomBytes, randomUUID } from 'node:crypto';

import type { EventLogReader } from '../../src/bus/EventLogReader.js';
import { PubSubBus, type PubSubBusTuning } from '../../src/bus/PubSubBus.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { captureLogs, type LogLine } from '../support/captureLogs.js';
import { CountingBusMetrics } from '../support/CountingBusMetrics.js';
import { sharedEmulatorHost } from '../support/pubsubEmulator.js';
import { seedEvent } from '../support/seedEvents.js';
import { waitUntil } from '../support/waitUntil.js';

/** Short delays so reconnect tests finish quickly; production uses defaults. */
export const FAST_TUNING: Partial<PubSubBusTuning> = {
  adminTimeoutMillis: 2_000,
  probeIntervalMillis: 1_000,
  reconnectMinDelayMillis: 100,
  reconnectMaxDelayMillis: 1_000,
  closeTimeoutMillis: 5_000,
};

/** A topic name no other test uses. */
export function uniqueTopic(label: string): string {
  return `tf-${label}-${randomBytes(4).toString('hex')}`;
}

/** Config as main.ts would load it, pointing at `emulatorHost`. */
export function pubsubConfig(options: {
  topic: string;
  instanceId: string;
  emulatorHost?: string;
  createTopic?: boolean;
  ttlSeconds?: number;
}): Config {
  return loadConfig({
    BUS: 'pubsub',
    PUBSUB_EMULATOR_HOST: options.emulatorHost ?? sharedEmulatorHost(),
    PUBSUB_TOPIC: options.topic,
    INSTANCE_ID: options.instanceId,
    PUBSUB_CREATE_TOPIC: String(options.createTopic ?? true),
    PUBSUB_SUBSCRIPTION_TTL_SECONDS: String(options.ttlSeconds ?? 3_600),
    LOG_LEVEL: 'debug',
  });
}

/** A fresh event with a unique id (seedEvent's ids repeat across runs). */
export function uniqueEvent(
  authorId = 'zowi',
  shareLocationIds: readonly string[] = ['location-3'],
): TemplateEvent {
  return seedEvent(authorId, shareLocationIds, { id: randomUUID() });
}

/** One instance ("pod"): its bus, what its handler got, what it logged. */
export interface Pod {
  readonly bus: PubSubBus;
  readonly config: Config;
  readonly received: TemplateEvent[];
  readonly metrics: CountingBusMetrics;
  readonly logs: LogLine[];
  receivedIds(): string[];
  logged(message: string): LogLine[];
}

/**
 * A PubSubBus with a recording handler, a captured log and counters; with
 * `events`, it catches up from that event log after reattaching.
 */
export function makePod(
  config: Config,
  tuning: Partial<PubSubBusTuning> = FAST_TUNING,
  events?: EventLogReader,
): Pod {
  const { logger, lines, withMessage } = captureLogs('debug');
  const metrics = new CountingBusMetrics();
  const bus = new PubSubBus({ config, logger, metrics, tuning, events });
  const received: TemplateEvent[] = [];
  return {
    bus,
    config,
    received,
    metrics,
    logs: lines,
    receivedIds: () => received.map((event) => event.id),
    logged: withMessage,
  };
}

/** Starts `pod` with a handler that records every event it is given. */
export async function startPod(pod: Pod): Promise<Pod> {
  await pod.bus.start((event) => {
    pod.received.push(event);
  });
  return pod;
}

/** waitUntil, given 20 s by default: the emulator can be slow to deliver. */
export function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMillis = 20_000,
): Promise<void> {
  return waitUntil(condition, what, timeoutMillis);
}

/**
 * Time for a duplicate or stale message to show up if it were coming: the
 * emulator delivers within milliseconds, so a second is generous. Assertions
 * about what did NOT arrive run after this.
 */
export const QUIET_PERIOD_MILLIS = 1_000;
