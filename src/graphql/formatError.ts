import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import {
  isServiceUnavailableError,
  SERVICE_UNAVAILABLE_MESSAGE,
} from './isServiceUnavailableError.js';

/**
 * Codes Apollo Server sets that our table (domain/errorCodes.ts) does not
 * have. Their messages are about the request, so they are safe to show.
 */
const FOREIGN_CLIENT_CODES: Readonly<Record<string, ErrorCode>> = {
  BAD_REQUEST: ErrorCode.BAD_USER_INPUT,
  OPERATION_RESOLUTION_FAILURE: ErrorCode.BAD_USER_INPUT,
  PERSISTED_QUERY_NOT_FOUND: ErrorCode.BAD_USER_INPUT,
  PERSISTED_QUERY_NOT_SUPPORTED: ErrorCode.BAD_USER_INPUT,
  INTROSPECTION_DISABLED: ErrorCode.GRAPHQL_VALIDATION_FAILED,
};

const CLIENT_CODES: ReadonlySet<string> = new Set<string>(
  Object.values(ErrorCode).filter(
    (code) => code !== ErrorCode.INTERNAL_SERVER_ERROR,
  ),
);

/** What production clients see instead of an internal error's message. */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/** Apollo's `formatError` signature; graphql-ws errors go through it too. */
export type ErrorFormatter = (
  formatted: GraphQLFormattedError,
  error: unknown,
) => GraphQLFormattedError;

export interface ErrorFormatterOptions {
  /** Hide internal messages from clients. */
  readonly isProduction: boolean;
  /** Internal errors are logged here, with their stack, at error level. */
  readonly logger: Logger;
}

/**
 * The error policy for every response, HTTP or WebSocket: each error gets a
 * code from domain/errorCodes.ts under `extensions.code`. A DomainError keeps
 * its message and details; a client error from GraphQL or Apollo (parse,
 * validation, coercion, authentication) keeps its message; a dependency
 * that cannot be reached (PostgreSQL down, say) is SERVICE_UNAVAILABLE with
 * a generic message, logged at warn; anything else is our fault: logged in
 * full, reported as INTERNAL_SERVER_ERROR, with a generic message in
 * production. No stack trace ever reaches a client.
 */
export function createErrorFormatter(
  options: ErrorFormatterOptions,
): ErrorFormatter {
  const { isProduction, logger } = options;

  return (formatted, error) => {
    const { locations, path } = formatted;
    const where = {
      ...(locations === undefined ? {} : { locations }),
      ...(path === undefined ? {} : { path }),
    };
    const cause = unwrapError(error);

    if (cause instanceof DomainError) {
      return {
        message: cause.message,
        ...where,
        extensions: { ...cause.details, code: cause.code },
      };
    }

    const {
      stacktrace: _stack,
      http: _http,
      ...extensions
    } = formatted.extensions ?? {};
    const code = typeof extensions.code === 'string' ? extensions.code : '';
    const clientCode = CLIENT_CODES.has(code)
      ? code
      : FOREIGN_CLIENT_CODES[code];
    if (clientCode !== undefined) {
      return {
        message: formatted.message,
        ...where,
        extensions: { ...extensions, code: clientCode },
      };
    }

    if (isServiceUnavailableError(cause)) {
      // A dependency is down: not a bug, and the client should retry, so a
      // generic message that names no component and a warning in the log.
      logger.warn(
        { err: cause, path },
        'graphql operation failed, a dependency is unavailable',
      );
      return {
        message: SERVICE_UNAVAILABLE_MESSAGE,
        ...where,
        extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
      };
    }

    logger.error({ err: cause, path }, 'graphql operation failed');
    return {
      message: isProduction ? INTERNAL_ERROR_MESSAGE : formatted.message,
      ...where,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * The error a resolver threw, under the GraphQLError(s) graphql-js and Apollo
 * wrap it in.
 */
export function unwrapError(error: unknown): unknown {
  let current = error;
  while (
    current instanceof GraphQLError &&
    current.originalError !== undefined &&
    current.originalError !== current
  ) {
    current = current.originalError;
  }
  return current;
}
