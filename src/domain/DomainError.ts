import type { ErrorCode } from './errorCodes.js';

/**
 * An error whose message is safe to show the client, with the code it is
 * surfaced under. Anything that is not a DomainError is reported to clients
 * as INTERNAL_SERVER_ERROR.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, client-safe fields for `extensions` (say, the bad ids). */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** `cause`: what went wrong underneath, for the logs only. */
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
