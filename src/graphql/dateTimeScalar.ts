import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// RFC 3339 date-time with a mandatory offset; Date.parse does the rest.
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseIsoDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) {
    throw new GraphQLError('DateTime must be an ISO-8601 date-time string');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime must be a valid date-time');
  }
  return date;
}

/**
 * DateTime as an ISO-8601 string in UTC on the wire and a Date in resolvers.
 * Serialising to a string here (rather than leaving a Date for
 * JSON.stringify) keeps results identical over HTTP, WebSocket and in-process
 * execution.
 */
export const dateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : parseIsoDateTime(value);
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime cannot represent an invalid Date');
    }
    return date.toISOString();
  },
  parseValue: parseIsoDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', { nodes: ast });
    }
    return parseIsoDateTime(ast.value);
  },
});
