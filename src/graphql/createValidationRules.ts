import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

import { noIntrospectionRule } from './noIntrospectionRule.js';

/**
 * How large a document may be and how much work one operation may ask for.
 * The same limits apply over HTTP (Apollo) and WebSocket (graphql-ws).
 */
export interface QueryLimits {
  /**
   * Nested field levels: `{ me { location { id } } }` is 3. Every
   * `locations` level multiplies the response (each organisation has
   * several), so depth is what turns a 400-byte query into megabytes.
   */
  readonly maxDepth: number;
  /** Aliased fields per operation; each alias runs its field again. */
  readonly maxAliases: number;
  /**
   * graphql-armor's cost: 1 per scalar and 2 per object field, times 1.5
   * per level of nesting, over every field the operation selects.
   */
  readonly maxCost: number;
  /** Lexical tokens per document, checked while parsing. */
  readonly maxTokens: number;
}

/**
 * Room for every query the schema serves (the deepest useful one,
 * `templateAdded { createdBy { organization { locations { organization
 * { name } } } } }`, is 6 levels), and for tooling's introspection query
 * (about 200 tokens) where introspection is on.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxDepth: 8,
  maxAliases: 15,
  maxCost: 5_000,
  maxTokens: 2_000,
});

/** Parse options that enforce `limits.maxTokens`. */
export function queryParseOptions(
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

export interface ValidationRulesOptions {
  readonly limits?: QueryLimits;
  /** Whether `__schema` and `__type` are answered (not in production). */
  readonly introspection: boolean;
}

/**
 * The rules both transports validate with beside graphql's specified ones:
 * the limits' depth, aliases and cost, and no introspection unless
 * `introspection`. A document over a limit gets one validation error per
 * operation that is over it, naming the limit and what was found ("Query
 * depth limit of 8 exceeded, found 11.").
 */
export function createValidationRules(
  options: ValidationRulesOptions,
): ValidationRule[] {
  const limits = options.limits ?? DEFAULT_QUERY_LIMITS;
  // graphql-armor throws its errors out of validate() by default, which
  // Apollo and graphql-ws would both answer as an internal error; report
  // them as ordinary validation errors instead.
  const common = {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [reportRejection],
  };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    costLimitRule({ ...common, maxCost: limits.maxCost }),
    ...(options.introspection ? [] : [noIntrospectionRule]),
  ];
}

function reportRejection(
  context: ValidationContext | null,
  error: GraphQLError,
): void {
  // graphql-armor words every rejection as a "Syntax Error: ...", though
  // the document parsed; the rest of its message is the useful part.
  context?.reportError(
    new GraphQLError(error.message.replace(/^Syntax Error: /, '')),
  );
}
