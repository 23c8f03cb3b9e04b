import { GraphQLError } from 'graphql';

import {
  createErrorFormatter,
  INTERNAL_ERROR_MESSAGE,
} from '../../src/graphql/formatError.js';
import { SERVICE_UNAVAILABLE_MESSAGE } from '../../src/graphql/isServiceUnavailableError.js';
import { captureLogs } from '../support/captureLogs.js';

/** A resolver's error as graphql-js hands it to formatError. */
function fromResolver(cause: Error): GraphQLError {
  return new GraphQLError(cause.message, {
    path: ['templates'],
    originalError: cause,
  });
}

describe('formatError with an unreachable dependency', () => {
  it.each([true, false])(
    'reports a lost database as SERVICE_UNAVAILABLE with a generic message (production: %s)',
    (isProduction) => {
      const logs = captureLogs('debug');
      const format = createErrorFormatter({
        isProduction,
        logger: logs.logger,
      });
      const error = fromResolver(
        Object.assign(
          new Error('database "tf_x" is not currently accepting connections'),
          { code: '55000', severity: 'FATAL' },
        ),
      );

      expect(format(error.toJSON(), error)).toEqual({
        message: SERVICE_UNAVAILABLE_MESSAGE,
        path: ['templates'],
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      const [line, ...others] = logs.lines;
      expect(others).toEqual([]);
      expect(line).toMatchObject({
        level: 'warn',
        message: 'graphql operation failed, a dependency is unavailable',
        err: { message: expect.stringContaining('tf_x') as unknown },
      });
    },
  );

  it('still reports a query the database rejects as INTERNAL_SERVER_ERROR', () => {
    const logs = captureLogs('debug');
    const format = createErrorFormatter({
      isProduction: true,
      logger: logs.logger,
    });
    const error = fromResolver(
      Object.assign(new Error('syntax error at or near "SELEC"'), {
        code: '42601',
        severity: 'ERROR',
      }),
    );
    expect(format(error.toJSON(), error)).toMatchObject({
      message: INTERNAL_ERROR_MESSAGE,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logs.lines.map((line) => line.level)).toEqual(['error']);
  });
});
