/**
 * Every error code a client can see, surfaced as `extensions.code`. The
 * README's error table documents each one; add new codes here first.
 */
export const ErrorCode = {
  /** No token, or a token that is forged, expired or names no user. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Authenticated, but the action is outside the caller's reach. */
  FORBIDDEN: 'FORBIDDEN',
  /** The input is malformed or names things that do not exist. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The GraphQL document does not parse. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The GraphQL document does not match the schema. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** A subscriber fell too far behind; it should resubscribe and refetch. */
  SUBSCRIBER_OVERFLOW: 'SUBSCRIBER_OVERFLOW',
  /**
   * A WebSocket connection already runs as many subscriptions as one may;
   * complete one first, or open another connection.
   */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /**
   * A WebSocket `subscribe` reused the id of an operation the server is
   * still finishing; use a new id.
   */
  OPERATION_ID_IN_USE: 'OPERATION_ID_IN_USE',
  /** The instance is draining or a dependency is down; retry elsewhere. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Our fault. Details are logged, never sent in production. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
