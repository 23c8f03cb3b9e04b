import { GraphQLError, type GraphQLFormattedError } from 'graphql';

import { ErrorCode } from '../domain/errorCodes.js';
import type { GraphQLOperationOutcome } from './ServerMetrics.js';

/**
 * An operation's outcome from the errors of its (formatted) result:
 * `success` when there are none, else the first error's code.
 */
export function operationOutcome(
  errors: readonly (GraphQLFormattedError | GraphQLError)[] | undefined,
): GraphQLOperationOutcome {
  const first = errors?.[0];
  if (first === undefined) return 'success';
  const code = first.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/** The outcome of an error thrown outside execution (say, by the context). */
export function errorOutcome(error: unknown): GraphQLOperationOutcome {
  return error instanceof GraphQLError
    ? operationOutcome([error])
    : ErrorCode.INTERNAL_SERVER_ERROR;
}
