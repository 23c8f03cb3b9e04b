import pg from 'pg';

import { DomainError } from '../../src/domain/DomainError.js';
import { ErrorCode } from '../../src/domain/errorCodes.js';
import { isServiceUnavailableError } from '../../src/graphql/isServiceUnavailableError.js';
import { ADMIN_DATABASE_URL } from '../support/testDatabase.js';

/** An Error shaped like node-postgres's DatabaseError. */
function databaseError(code: string, severity = 'ERROR'): Error {
  return Object.assign(new Error(`sqlstate ${code}`), { code, severity });
}

describe('isServiceUnavailableError', () => {
  it('recognises a refused connection from a real pool', async () => {
    // Port 9 (discard) is closed on loopback: connections are refused.
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:9/none',
      connectionTimeoutMillis: 2_000,
    });
    const failure = await pool.query('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
    await pool.end();
    expect(failure).toBeDefined();
    expect(isServiceUnavailableError(failure)).toBe(true);
  });

  it('recognises a FATAL refusal from a real server', async () => {
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = '/tf_no_such_database_at_all';
    const client = new pg.Client({ connectionString: url.toString() });
    const failure = await client.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    await client.end().catch(() => undefined);
    expect(failure).toMatchObject({ severity: 'FATAL' });
    expect(isServiceUnavailableError(failure)).toBe(true);
  });

  it.each([
    ['a connection exception (class 08)', databaseError('08006')],
    ['an admin shutdown', databaseError('57P01', 'FATAL')],
    ['a server that cannot take connections now', databaseError('57P03')],
    ['too many connections', databaseError('53300')],
    ['a statement timeout', databaseError('57014')],
    [
      'a reset socket',
      Object.assign(new Error('read'), { code: 'ECONNRESET' }),
    ],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    [
      'a pool closed by shutdown',
      new Error('Cannot use a pool after calling end on the pool'),
    ],
    [
      'a refused dual-stack connect',
      new AggregateError([
        Object.assign(new Error('a'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('b'), { code: 'ECONNREFUSED' }),
      ]),
    ],
    [
      'a timeout wrapping a refusal',
      new Error('Connection terminated due to connection timeout', {
        cause: new Error('x'),
      }),
    ],
    [
      'a DomainError SERVICE_UNAVAILABLE',
      new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'down'),
    ],
  ])('counts %s as unavailable', (_what, error) => {
    expect(isServiceUnavailableError(error)).toBe(true);
  });

  it.each([
    ['a syntax error', databaseError('42601')],
    ['a unique violation', databaseError('23505')],
    ['invalid text for UTF-8', databaseError('22021')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    [
      'a DomainError BAD_USER_INPUT',
      new DomainError(ErrorCode.BAD_USER_INPUT, 'no'),
    ],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('does not count %s as unavailable', (_what, error) => {
    expect(isServiceUnavailableError(error)).toBe(false);
  });
});
