import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

import type { GraphQLRequestRecord } from './logGraphQLRequests.js';
import { errorOutcome, operationOutcome } from './operationOutcome.js';
import type { GraphQLOperationType, ServerMetrics } from './ServerMetrics.js';

export interface GraphQLOperationsPluginOptions<TContext extends BaseContext> {
  readonly metrics: Pick<ServerMetrics, 'graphqlOperationCompleted'>;
  /** The access-log record of the HTTP request an operation runs in. */
  readonly recordOf: (context: TContext) => GraphQLRequestRecord | undefined;
}

/**
 * Counts every HTTP GraphQL operation by type and outcome once its response
 * is ready, and tells the request's access line its name, type and outcome.
 * A request refused while its context was built (bad credentials) never
 * reaches the operation: it counts as type `unknown`.
 */
export function createGraphQLOperationsPlugin<TContext extends BaseContext>(
  options: GraphQLOperationsPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  const { metrics, recordOf } = options;
  return {
    contextCreationDidFail({ error }) {
      metrics.graphqlOperationCompleted('unknown', errorOutcome(error));
      return Promise.resolve();
    },

    requestDidStart() {
      let type: GraphQLOperationType = 'unknown';
      return Promise.resolve({
        didResolveOperation({ operation, operationName, contextValue }) {
          type = operation?.operation ?? 'unknown';
          const record = recordOf(contextValue);
          if (record !== undefined) {
            record.operationType = type;
            record.operationName = operationName ?? undefined;
          }
          return Promise.resolve();
        },

        willSendResponse({ response, contextValue }) {
          // Errors here are already formatted: each carries a code from
          // domain/errorCodes.ts.
          const errors =
            response.body.kind === 'single'
              ? response.body.singleResult.errors
              : response.body.initialResult.errors;
          const outcome = operationOutcome(errors);
          metrics.graphqlOperationCompleted(type, outcome);
          const record = recordOf(contextValue);
          if (record !== undefined) record.outcome = outcome;
          return Promise.resolve();
        },
      });
    },
  };
}
