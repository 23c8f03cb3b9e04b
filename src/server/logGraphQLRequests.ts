import { performance } from 'node:perf_hooks';

import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

import { CLOUD_TRACE_FIELD, cloudTraceOf } from './cloudTraceOf.js';
import type { AuthenticationFailure } from './createAuthenticator.js';
import type {
  GraphQLOperationOutcome,
  GraphQLOperationType,
} from './ServerMetrics.js';

/**
 * What one HTTP request to /graphql came to, filled in as Apollo learns it
 * (createGraphQLOperationsPlugin) and written as its access line.
 */
export interface GraphQLRequestRecord {
  operationName: string | undefined;
  operationType: GraphQLOperationType;
  outcome: GraphQLOperationOutcome | undefined;
  /**
   * Why the credentials were refused, for UNAUTHENTICATED: missing,
   * invalid, expired or unknown-user (never the token itself).
   */
  authFailure?: AuthenticationFailure;
}

const RECORD = Symbol('graphqlRequestRecord');

type WithRecord = Response & { [RECORD]?: GraphQLRequestRecord };

/** The record `logGraphQLRequests` attached to `response`, if any. */
export function graphqlRequestRecordOf(
  response: Response,
): GraphQLRequestRecord | undefined {
  return (response as WithRecord)[RECORD];
}

/**
 * Express middleware for /graphql only (never for the probes or /metrics):
 * one info line per request once its response is done, with the operation's
 * name, type and outcome, the HTTP status and how long it took. Bodies,
 * variables and headers are never logged.
 */
export function logGraphQLRequests(
  logger: Logger,
  options: {
    /** GOOGLE_CLOUD_PROJECT: with it, lines carry the request's trace. */
    readonly traceProjectId?: string | undefined;
  } = {},
): RequestHandler {
  return (request, response, next) => {
    const startedAt = performance.now();
    const record: GraphQLRequestRecord = {
      operationName: undefined,
      operationType: 'unknown',
      outcome: undefined,
    };
    (response as WithRecord)[RECORD] = record;

    // 'close' follows a finished response, and also a client that left
    // before it was sent, which 'finish' would miss.
    response.once('close', () => {
      const trace = cloudTraceOf(request.headers, options.traceProjectId);
      logger.info(
        {
          ...(trace === undefined ? {} : { [CLOUD_TRACE_FIELD]: trace }),
          method: request.method,
          operationName: record.operationName ?? requestedName(request.body),
          operationType: record.operationType,
          outcome: record.outcome,
          authFailure: record.authFailure,
          status: response.statusCode,
          durationMillis:
            Math.round((performance.now() - startedAt) * 1_000) / 1_000,
          ...(response.writableFinished ? {} : { aborted: true }),
        },
        'graphql request',
      );
    });
    next();
  };
}

/** The `operationName` a client sent, when Apollo never resolved one. */
function requestedName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { operationName } = body as { operationName?: unknown };
  return typeof operationName === 'string'
    ? operationName.slice(0, 200)
    : undefined;
}
