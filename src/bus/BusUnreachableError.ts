import type { Config } from '../config/config.js';
import { ConfigError } from '../config/ConfigError.js';
import { GrpcStatus, grpcStatusOf } from './pubsubGrpcStatus.js';

/** How much of the client library's reason the one line keeps. */
const MAX_REASON_LENGTH = 160;

/**
 * Start-up could not attach to the bus. Like a ConfigError, its message is
 * the one line start-up prints, and it names the variable to look at.
 */
export class BusUnreachableError extends Error {
  override readonly name = 'BusUnreachableError';

  constructor(
    readonly variable: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${variable} ${problem}`, options);
  }
}

/**
 * What a failed PubSubBus.start() means to whoever started the process
 * (PubSubBus.start throws what this returns):
 * a ConfigError as it is (a missing topic names PUBSUB_TOPIC), anything
 * else as a BusUnreachableError naming PUBSUB_EMULATOR_HOST or, without an
 * emulator, GOOGLE_CLOUD_PROJECT. The client library's own message can run
 * to kilobytes of retry history; only its start is kept.
 */
export function pubsubStartError(
  pubsub: Pick<Config['pubsub'], 'emulatorHost' | 'projectId'>,
  err: unknown,
): Error {
  if (err instanceof ConfigError) return err;
  const status = grpcStatusOf(err);
  const statusName = Object.entries(GrpcStatus).find(
    ([, code]) => code === status,
  )?.[0];
  const message = err instanceof Error ? err.message : String(err);
  // gax wraps the cause ("connect ECONNREFUSED ...") at the end of a long
  // retry history, after "Last error:"; that is the part worth a line.
  const lastError = /Last error: (?:Error: )?([^\n]*)$/m
    .exec(message)?.[1]
    ?.split('. ')[0];
  const reason =
    (statusName === undefined ? '' : `${statusName}: `) +
    shorten(lastError ?? message.split('\n')[0] ?? '');
  return pubsub.emulatorHost === undefined
    ? new BusUnreachableError(
        'GOOGLE_CLOUD_PROJECT',
        `is ${pubsub.projectId ?? '(unset)'}, and its Pub/Sub could not ` +
          `be reached or refused this instance: ${reason}`,
        { cause: err },
      )
    : new BusUnreachableError(
        'PUBSUB_EMULATOR_HOST',
        `is ${pubsub.emulatorHost}, and no Pub/Sub emulator answered ` +
          `there (start one, or correct the address): ${reason}`,
        { cause: err },
      );
}

function shorten(text: string): string {
  return text.length <= MAX_REASON_LENGTH
    ? text
    : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
