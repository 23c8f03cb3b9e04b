import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';

/** What clients see when a dependency is down: nothing about which. */
export const SERVICE_UNAVAILABLE_MESSAGE =
  'the service is temporarily unavailable; retry shortly';

// Socket-level failures reaching the database.
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATEs of a server that is going away or cannot take us now: admin and
// crash shutdown, starting up, out of connection slots, and a statement
// cancelled by statement_timeout. Class 08 (connection exceptions) is
// matched by its prefix.
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
]);

// node-postgres and pg-pool report lost and timed-out connections, and a
// pool closed by shutdown, with plain Errors and these messages.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Query read timeout',
  'Cannot use a pool after calling end',
];

const MAX_CAUSE_DEPTH = 4;

/**
 * True when `error` says a dependency is unreachable rather than that the
 * request or our code is wrong: a DomainError SERVICE_UNAVAILABLE, or a
 * PostgreSQL connection failure (refused, reset, timed out, the server
 * shutting down or refusing connections). Clients get SERVICE_UNAVAILABLE
 * (HTTP 503) for these and may retry; the cause is logged at warn.
 */
export function isServiceUnavailableError(error: unknown): boolean {
  return isUnavailable(error, 0);
}

function isUnavailable(error: unknown, depth: number): boolean {
  if (error instanceof DomainError) {
    return error.code === ErrorCode.SERVICE_UNAVAILABLE;
  }
  // Duck-typed rather than `instanceof Error`: errors from node's sockets
  // may come from another realm (a test runner's sandbox, say).
  if (typeof error !== 'object' || error === null) return false;
  const { code, severity, message, errors, cause } = error as {
    code?: unknown;
    severity?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };

  // Node reports a refused dual-stack connect as an AggregateError.
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.every((inner) => isUnavailable(inner, depth + 1));
  }
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code)) return true;
    if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  // FATAL ends the session: the server refused or dropped the connection
  // ("database ... is not currently accepting connections", say).
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  if (
    typeof message === 'string' &&
    CONNECTION_MESSAGES.some((start) => message.startsWith(start))
  ) {
    return true;
  }
  // A few levels of causes are plenty, and a cycle must not recurse forever.
  return (
    cause !== undefined &&
    depth < MAX_CAUSE_DEPTH &&
    isUnavailable(cause, depth + 1)
  );
}
