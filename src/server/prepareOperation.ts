import {
  GraphQLError,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';

import { ErrorCode } from '../domain/errorCodes.js';
import type { GraphQLOperationType } from './ServerMetrics.js';

/** What an operation must pass before it runs over WebSocket. */
export interface OperationChecks {
  readonly schema: GraphQLSchema;
  /** Every rule to validate with, graphql's specified rules included. */
  readonly validationRules: readonly ValidationRule[];
  readonly parseOptions: ParseOptions;
  /** Leave "Did you mean ...?" out of messages (production). */
  readonly hideSuggestions: boolean;
}

/** A `subscribe` message's operation, ready to run or refused. */
export type PreparedOperation =
  | {
      readonly ok: true;
      readonly type: OperationDefinitionNode['operation'];
      readonly document: DocumentNode;
    }
  | {
      readonly ok: false;
      readonly type: GraphQLOperationType;
      /** Each with the `extensions.code` Apollo would give it over HTTP. */
      readonly errors: readonly GraphQLError[];
    };

/**
 * Parses, validates and coerces the variables of a graphql-ws `subscribe`
 * payload, as Apollo does for a POST, so both transports refuse the same
 * documents with the same codes.
 */
export function prepareOperation(
  checks: OperationChecks,
  payload: SubscribePayload,
): PreparedOperation {
  const { schema } = checks;
  let document: DocumentNode;
  try {
    document = parse(payload.query, checks.parseOptions);
  } catch (err) {
    if (err instanceof GraphQLError) {
      return refused('unknown', [err], ErrorCode.GRAPHQL_PARSE_FAILED);
    }
    throw err;
  }

  const operation = getOperationAST(document, payload.operationName);
  const type = operation?.operation ?? 'unknown';
  const validationErrors = validate(schema, document, checks.validationRules, {
    hideSuggestions: checks.hideSuggestions,
  });
  if (validationErrors.length > 0) {
    return refused(type, validationErrors, ErrorCode.GRAPHQL_VALIDATION_FAILED);
  }
  if (!operation) {
    return refused(
      type,
      [new GraphQLError('the document names no operation to run')],
      ErrorCode.BAD_USER_INPUT,
    );
  }

  // Coerce variables here so their errors carry BAD_USER_INPUT, as Apollo
  // does over HTTP, instead of reaching clients code-less.
  const variables = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    payload.variables ?? {},
    { hideSuggestions: checks.hideSuggestions },
  );
  if (variables.errors !== undefined) {
    return refused(type, variables.errors, ErrorCode.BAD_USER_INPUT);
  }
  return { ok: true, type: operation.operation, document };
}

function refused(
  type: GraphQLOperationType,
  errors: readonly GraphQLError[],
  code: ErrorCode,
): PreparedOperation {
  return { ok: false, type, errors: errors.map((e) => withCode(e, code)) };
}

/** `error` with `extensions.code` set to `code`. */
export function withCode(error: GraphQLError, code: ErrorCode): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
