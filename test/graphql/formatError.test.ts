import { GraphQLError, type GraphQLFormattedError } from 'graphql';

import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import { createErrorFormatter } from '../../src/graphql/formatError.js';
import { captureLogs } from '../support/captureLogs.js';

/** What graphql-js and Apollo hand formatError for an error in a resolver. */
function fromResolver(cause: Error): {
  formatted: GraphQLFormattedError;
  error: GraphQLError;
} {
  const error = new GraphQLError(cause.message, {
    originalError: cause,
    path: ['addTemplate'],
  });
  return {
    formatted: {
      ...error.toJSON(),
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        stacktrace: ['Error: x', '    at y'],
      },
    },
    error,
  };
}

describe('createErrorFormatter', () => {
  it('keeps a DomainError’s message, code and details', () => {
    const { logger, lines } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: true, logger });
    const { formatted, error } = fromResolver(
      new DomainError(ErrorCode.FORBIDDEN, 'location-4 is outside it', {
        forbiddenLocationIds: ['location-4'],
      }),
    );
    expect(format(formatted, error)).toEqual({
      message: 'location-4 is outside it',
      path: ['addTemplate'],
      extensions: { code: 'FORBIDDEN', forbiddenLocationIds: ['location-4'] },
    });
    expect(lines).toEqual([]);
  });

  it('hides an unexpected error’s message in production and logs it with its stack', () => {
    const { logger, lines } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: true, logger });
    const { formatted, error } = fromResolver(
      new Error('password authentication failed for user "feed"'),
    );
    expect(format(formatted, error)).toEqual({
      message: 'Internal server error',
      path: ['addTemplate'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      message: 'graphql operation failed',
      path: ['addTemplate'],
      err: {
        message: 'password authentication failed for user "feed"',
        stack: expect.stringContaining('Error: password') as unknown,
      },
    });
  });

  it('shows an unexpected error’s message outside production, but never a stack', () => {
    const { logger } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: false, logger });
    const { formatted, error } = fromResolver(new Error('boom'));
    expect(format(formatted, error)).toEqual({
      message: 'boom',
      path: ['addTemplate'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps client errors GraphQL and Apollo raise, with their codes', () => {
    const { logger, lines } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: true, logger });
    const parseError = new GraphQLError('Syntax Error: Expected Name', {
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(format(parseError.toJSON(), parseError)).toEqual({
      message: 'Syntax Error: Expected Name',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(lines).toEqual([]);
  });

  it('maps Apollo’s codes outside our table onto it', () => {
    const { logger } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: true, logger });
    const badRequest = new GraphQLError('POST body missing', {
      extensions: { code: 'BAD_REQUEST' },
    });
    expect(format(badRequest.toJSON(), badRequest).extensions).toEqual({
      code: 'BAD_USER_INPUT',
    });
  });

  it('treats a GraphQL error without a code as ours', () => {
    const { logger, lines } = captureLogs('info');
    const format = createErrorFormatter({ isProduction: true, logger });
    const nonNull = new GraphQLError(
      'Cannot return null for non-nullable field Template.name.',
      { path: ['template', 'name'] },
    );
    expect(format(nonNull.toJSON(), nonNull)).toEqual({
      message: 'Internal server error',
      path: ['template', 'name'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines).toHaveLength(1);
  });
});
