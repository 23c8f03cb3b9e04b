import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';

import { ErrorCode } from '../domain/errorCodes.js';
import { graphqlRequestRecordOf } from './logGraphQLRequests.js';
import type { ServerMetrics } from './ServerMetrics.js';

/** What body-parser attaches to the errors it raises. */
interface HttpError {
  readonly status?: number;
  readonly type?: string;
}

/**
 * Errors raised before Apollo sees a request (an unparsable or oversized
 * body) answered in GraphQL's error shape, with a code from our table,
 * rather than express's HTML page.
 */
export function handleRequestErrors(
  logger: Logger,
  metrics: Pick<ServerMetrics, 'graphqlOperationCompleted'>,
): ErrorRequestHandler {
  return (err: unknown, _request, response, next) => {
    if (response.headersSent) {
      next(err);
      return;
    }
    const { status, type } = (err ?? {}) as HttpError;
    const record = graphqlRequestRecordOf(response);
    // Apollo never saw these, so its plugin did not count them: counted
    // here, as the access line reports them.
    if (status !== undefined && status >= 400 && status < 500) {
      if (record !== undefined) record.outcome = ErrorCode.BAD_USER_INPUT;
      metrics.graphqlOperationCompleted('unknown', ErrorCode.BAD_USER_INPUT);
      const message =
        type === 'entity.parse.failed'
          ? 'the request body is not valid JSON'
          : type === 'entity.too.large'
            ? 'the request body is too large'
            : 'the request is malformed';
      response.status(status).json({
        errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT } }],
      });
      return;
    }
    if (record !== undefined) record.outcome = ErrorCode.INTERNAL_SERVER_ERROR;
    metrics.graphqlOperationCompleted(
      'unknown',
      ErrorCode.INTERNAL_SERVER_ERROR,
    );
    logger.error({ err }, 'http request failed');
    response.status(500).json({
      errors: [
        {
          message: 'Internal server error',
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
        },
      ],
    });
  };
}
