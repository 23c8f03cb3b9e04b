import {
  Duration,
  PubSub,
  SubscriptionCloseBehaviors,
  type ClientConfig,
  type PublishOptions,
  type SubscriberOptions,
} from '@google-cloud/pubsub';

import type { Config } from '../config/config.js';

/** Knobs of the Pub/Sub driver. The defaults suit a fan-out pod. */
export interface PubSubBusTuning {
  /** The subscription's ack deadline; the client extends held leases. 20 s. */
  readonly ackDeadlineSeconds: number;
  /**
   * Flow control: messages leased but not yet acked. Handing an event to the
   * fan-out is synchronous and quick, so this only bounds bursts. 500.
   */
  readonly maxOutstandingMessages: number;
  /** Flow control in bytes. 32 MiB: 500 events at the codec's 64 KiB limit. */
  readonly maxOutstandingBytes: number;
  /**
   * StreamingPull streams per subscription. One carries far more than a
   * pod's event rate; a second keeps delivery going while the server
   * rotates the other. 2 (the client's default is 5).
   */
  readonly maxStreams: number;
  /** Longest a publish waits to share a batch. 5 ms (client default 10). */
  readonly publishMaxDelayMillis: number;
  /** Budget for one publish, retries included. 30 s. */
  readonly publishTimeoutMillis: number;
  /**
   * Budget for each admin call (topic, subscription, probe), and for each
   * page a catch-up reads from the event log. 10 s.
   */
  readonly adminTimeoutMillis: number;
  /** How often a healthy subscription is probed with a metadata call. 30 s. */
  readonly probeIntervalMillis: number;
  /**
   * How far before the moment it noticed a detachment a catch-up starts
   * reading the event log. The loss itself may come a whole probe interval
   * plus a probe's timeout before it is noticed (40 s at the defaults);
   * the rest (20 s) allows for the writing pod's clock, which stamps the
   * log, running behind ours, and for an event stamped as its transaction
   * began but published only after it committed. Events written longer
   * before the detachment than this are taken as received. 60 s.
   */
  readonly catchUpMarginMillis: number;
  /** First reconnect delay; doubles per failed attempt. 250 ms. */
  readonly reconnectMinDelayMillis: number;
  /**
   * Cap on every reconnect delay: ours, the client's stream retries and
   * the gRPC channel's. 30 s.
   */
  readonly reconnectMaxDelayMillis: number;
  /** Everything close() does must fit in this. 10 s. */
  readonly closeTimeoutMillis: number;
}

export const DEFAULT_PUBSUB_BUS_TUNING: PubSubBusTuning = Object.freeze({
  ackDeadlineSeconds: 20,
  maxOutstandingMessages: 500,
  maxOutstandingBytes: 32 * 1024 * 1024,
  maxStreams: 2,
  publishMaxDelayMillis: 5,
  publishTimeoutMillis: 30_000,
  adminTimeoutMillis: 10_000,
  probeIntervalMillis: 30_000,
  catchUpMarginMillis: 60_000,
  reconnectMinDelayMillis: 250,
  reconnectMaxDelayMillis: 30_000,
  closeTimeoutMillis: 10_000,
});

/** A gRPC channel option the client passes through but does not type. */
interface GrpcChannelOptions {
  readonly 'grpc.max_reconnect_backoff_ms'?: number;
}

/**
 * The client, pointed where Config says: the emulator when
 * PUBSUB_EMULATOR_HOST is set, else Google Cloud with ambient credentials.
 */
export function createPubSubClient(
  config: Config['pubsub'],
  tuning: PubSubBusTuning,
): PubSub {
  const clientConfig: ClientConfig & GrpcChannelOptions = {
    projectId: config.projectId,
    // Config is the one source of truth; left alone, the client would read
    // PUBSUB_EMULATOR_HOST from the environment by itself.
    ...(config.emulatorHost === undefined
      ? {}
      : {
          apiEndpoint: config.emulatorHost,
          emulatorMode: true,
          // Stated, so the auth library does not probe for a GCE metadata
          // server (a warning and a pause) just to learn the default.
          universeDomain: 'googleapis.com',
        }),
    // gRPC's own reconnect backoff grows to 2 minutes, which would outlast
    // our reconnect loop after a long outage.
    'grpc.max_reconnect_backoff_ms': tuning.reconnectMaxDelayMillis,
  };
  return new PubSub(clientConfig);
}

/** Batching for low latency: a publish waits at most a few milliseconds. */
export function publishOptions(tuning: PubSubBusTuning): PublishOptions {
  return {
    batching: {
      maxMessages: 100,
      maxMilliseconds: tuning.publishMaxDelayMillis,
    },
    gaxOpts: { timeout: tuning.publishTimeoutMillis },
  };
}

/** Flow control, stream count and shutdown behaviour of the streaming pull. */
export function subscriberOptions(tuning: PubSubBusTuning): SubscriberOptions {
  return {
    flowControl: {
      maxMessages: tuning.maxOutstandingMessages,
      maxBytes: tuning.maxOutstandingBytes,
      // Never lease more than we can hold; the rest waits at Pub/Sub.
      allowExcessMessages: false,
    },
    streamingOptions: {
      maxStreams: tuning.maxStreams,
      retryMaxBackoff: Duration.from({
        milliseconds: tuning.reconnectMaxDelayMillis,
      }),
    },
    closeOptions: {
      // Whatever is still leased at shutdown goes back at once.
      behavior: SubscriptionCloseBehaviors.NackImmediately,
      timeout: Duration.from({ milliseconds: tuning.closeTimeoutMillis / 2 }),
    },
  };
}
