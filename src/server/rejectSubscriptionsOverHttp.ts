import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';

import { ErrorCode } from '../domain/errorCodes.js';

/**
 * Apollo would run a subscription sent over HTTP as a query, calling its
 * event resolver without an event. Subscriptions live on the WebSocket at
 * the same path; this says so with a 400 before anything executes.
 */
export const rejectSubscriptionsOverHttp: ApolloServerPlugin = {
  requestDidStart() {
    return Promise.resolve({
      didResolveOperation({ operation }) {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
          return Promise.resolve();
        }
        return Promise.reject(
          new GraphQLError(
            'subscriptions run over WebSocket (graphql-transport-ws) at /graphql',
            {
              extensions: {
                code: ErrorCode.BAD_USER_INPUT,
                http: { status: 400 },
              },
            },
          ),
        );
      },
    });
  },
};
