import type { PubSub, Topic } from '@google-cloud/pubsub';

import { ConfigError } from '../config/ConfigError.js';
import type { Logger } from '../logging/createLogger.js';
import { GrpcStatus, grpcStatusOf } from './pubsubGrpcStatus.js';

/**
 * Pub/Sub's minimum message retention. A pod's subscription exists only to
 * feed that pod's live connections; an event nobody pulled for 10 minutes has
 * no live reader left, and clients refetch `templates` when they reconnect.
 */
export const MESSAGE_RETENTION_SECONDS = 600;

/** How a pod's own subscription is made and how long admin calls may take. */
export interface SubscriptionSettings {
  /** Expiration policy: Pub/Sub deletes the subscription after this idle time. */
  readonly ttlSeconds: number;
  readonly ackDeadlineSeconds: number;
  /** Budget for each admin call, retries included. */
  readonly timeoutMillis: number;
}

/**
 * Makes sure the shared topic exists. Creates it when `createTopic` allows;
 * several pods may race to do so, and losing that race is fine.
 *
 * @throws ConfigError naming PUBSUB_TOPIC when it is missing and may not be
 *   created.
 */
export async function ensureTopic(
  topic: Topic,
  options: {
    readonly topicId: string;
    readonly createTopic: boolean;
    readonly timeoutMillis: number;
    readonly logger: Logger;
  },
): Promise<void> {
  const gaxOpts = { timeout: options.timeoutMillis };
  try {
    await topic.getMetadata(gaxOpts);
    return;
  } catch (err) {
    if (grpcStatusOf(err) !== GrpcStatus.NOT_FOUND) throw err;
  }

  if (!options.createTopic) {
    throw new ConfigError(
      'PUBSUB_TOPIC',
      `names topic "${options.topicId}", which does not exist, and ` +
        'PUBSUB_CREATE_TOPIC is off: create the topic (Terraform owns it ' +
        'in production) or set PUBSUB_CREATE_TOPIC=true',
    );
  }
  try {
    await topic.create(gaxOpts);
    options.logger.info({ topic: options.topicId }, 'pubsub topic created');
  } catch (err) {
    // Another pod created it between our check and our create.
    if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
  }
}

/**
 * Creates this pod's subscription on `topic`: an expiration policy so a
 * crashed pod's subscription disappears by itself, minimal retention, no
 * retained acks, no ordering and no exactly-once (the bus drops duplicates
 * by event id instead, and the emulator supports neither).
 *
 * @throws the client's error; ALREADY_EXISTS carries gRPC code 6.
 */
export async function createSubscription(
  topic: Topic,
  subscriptionName: string,
  settings: SubscriptionSettings,
  logger: Logger,
): Promise<void> {
  await topic.createSubscription(subscriptionName, {
    ackDeadlineSeconds: settings.ackDeadlineSeconds,
    expirationPolicy: { ttl: { seconds: settings.ttlSeconds } },
    messageRetentionDuration: MESSAGE_RETENTION_SECONDS,
    retainAckedMessages: false,
    enableMessageOrdering: false,
    enableExactlyOnceDelivery: false,
    gaxOpts: { timeout: settings.timeoutMillis },
  });
  logger.info(
    {
      subscriptionName,
      topic: shortName(topic.name),
      ttlSeconds: settings.ttlSeconds,
    },
    'pubsub subscription created',
  );
}

/**
 * Deletes a subscription by name. Resolves false when there was none, which
 * is the outcome the caller wanted anyway.
 */
export async function deleteSubscription(
  pubsub: PubSub,
  subscriptionName: string,
  timeoutMillis: number,
): Promise<boolean> {
  try {
    await pubsub
      .subscription(subscriptionName)
      .delete({ timeout: timeoutMillis });
    return true;
  } catch (err) {
    if (grpcStatusOf(err) === GrpcStatus.NOT_FOUND) return false;
    throw err;
  }
}

/**
 * At start-up: deletes a subscription an earlier run left under this name (a
 * SIGKILLed pod never deletes its own) and creates it anew. The new one
 * holds only what is published from now on, so nothing stale is replayed;
 * seeking the old one to "now" would do the same but inherit whatever
 * settings or detached topic it had.
 *
 * @throws when the name is taken again before we can create it, which means
 *   another running process has the same INSTANCE_ID.
 */
export async function replaceSubscription(
  pubsub: PubSub,
  topic: Topic,
  subscriptionName: string,
  settings: SubscriptionSettings,
  logger: Logger,
): Promise<void> {
  if (
    await deleteSubscription(pubsub, subscriptionName, settings.timeoutMillis)
  ) {
    logger.info(
      { subscriptionName },
      'pubsub subscription left by an earlier run deleted',
    );
  }
  try {
    await createSubscription(topic, subscriptionName, settings, logger);
  } catch (err) {
    if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
    throw new Error(
      `Pub/Sub subscription ${subscriptionName} was recreated by another ` +
        'process as soon as it was deleted: INSTANCE_ID must be unique per instance',
      { cause: err },
    );
  }
}

/**
 * After a reconnect: keeps this pod's subscription when it survived (it holds
 * what was published while the stream was down), and recreates it when it
 * was lost (an emulator restart, expiry) or is detached from `topic` (the
 * topic was deleted and recreated, which orphans existing subscriptions).
 *
 * @returns true when the subscription had to be created again.
 */
export async function ensureSubscription(
  pubsub: PubSub,
  topic: Topic,
  subscriptionName: string,
  settings: SubscriptionSettings,
  logger: Logger,
): Promise<boolean> {
  try {
    const [metadata] = await pubsub
      .subscription(subscriptionName)
      .getMetadata({ timeout: settings.timeoutMillis });
    if (metadata.topic === topic.name) return false;
    logger.warn(
      { subscriptionName, subscribedTopic: metadata.topic },
      'pubsub subscription detached from its topic; recreating it',
    );
    await deleteSubscription(pubsub, subscriptionName, settings.timeoutMillis);
  } catch (err) {
    if (grpcStatusOf(err) !== GrpcStatus.NOT_FOUND) throw err;
  }
  try {
    await createSubscription(topic, subscriptionName, settings, logger);
  } catch (err) {
    if (grpcStatusOf(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
  }
  return true;
}

/**
 * Resolves when the subscription exists and is attached to `topic`: the
 * probe behind isAttached(). gRPC gives no "stream connected" signal, so a
 * metadata call that succeeds is the evidence that Pub/Sub is reachable.
 */
export async function checkSubscription(
  pubsub: PubSub,
  topic: Topic,
  subscriptionName: string,
  timeoutMillis: number,
): Promise<void> {
  const [metadata] = await pubsub
    .subscription(subscriptionName)
    .getMetadata({ timeout: timeoutMillis });
  if (metadata.topic !== topic.name) {
    throw new Error(
      `subscription ${subscriptionName} is on ${metadata.topic}, not ${topic.name}`,
    );
  }
}

/** `projects/p/topics/t` -> `t`, as people configure it. */
function shortName(resourceName: string): string {
  return resourceName.slice(resourceName.lastIndexOf('/') + 1);
}
