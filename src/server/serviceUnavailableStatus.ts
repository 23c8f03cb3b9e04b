import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

import { ErrorCode } from '../domain/errorCodes.js';
import { SERVICE_UNAVAILABLE_MESSAGE } from '../graphql/isServiceUnavailableError.js';

/**
 * What a 503 tells clients to wait before retrying. Outages of the store
 * last seconds (a failover, a restart); the client's own backoff takes over
 * after that.
 */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The error for a request whose context could not be built because a
 * dependency (the store, the identity provider) is unreachable: HTTP 503
 * with Retry-After, so clients and load balancers retry rather than report
 * a server bug.
 */
export function serviceUnavailable(): GraphQLError {
  return new GraphQLError(SERVICE_UNAVAILABLE_MESSAGE, {
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      http: { status: 503, headers: retryAfterHeaders() },
    },
  });
}

/**
 * Answers with HTTP 503 and Retry-After when an operation's result carries a
 * SERVICE_UNAVAILABLE error. Resolvers' errors reach the response with code
 * only (formatError decides it, after Apollo has chosen the status), so the
 * status is set here, from the formatted result.
 */
export const serviceUnavailableStatus: ApolloServerPlugin = {
  requestDidStart() {
    return Promise.resolve({
      willSendResponse({ response }) {
        const errors =
          response.body.kind === 'single'
            ? response.body.singleResult.errors
            : response.body.initialResult.errors;
        const unavailable = errors?.some(
          (error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE,
        );
        if (unavailable === true) {
          response.http.status = 503;
          for (const [name, value] of retryAfterHeaders()) {
            response.http.headers.set(name, value);
          }
        }
        return Promise.resolve();
      },
    });
  },
};

function retryAfterHeaders(): HeaderMap {
  return new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]);
}
