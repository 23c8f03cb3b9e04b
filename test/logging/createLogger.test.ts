import { createLogger } from '../../src/logging/createLogger.js';
import { captureStream } from '../support/captureLogs.js';

const config = {
  instanceId: 'pod-7',
  log: { level: 'debug', format: 'json' as const },
};

describe('createLogger', () => {
  it('writes Cloud Logging fields: severity, message and the instance id', () => {
    const { stream, lines } = captureStream();
    const logger = createLogger(config, stream);
    logger.child({ module: 'bus' }).warn({ attempt: 2 }, 'bus reconnecting');
    const [line] = lines;
    expect(line).toMatchObject({
      severity: 'WARNING',
      message: 'bus reconnecting',
      instanceId: 'pod-7',
      module: 'bus',
      attempt: 2,
    });
    expect(typeof line?.time).toBe('string');
  });

  it.each([
    ['debug', 'DEBUG'],
    ['info', 'INFO'],
    ['error', 'ERROR'],
    ['fatal', 'CRITICAL'],
  ] as const)('maps pino level %s to severity %s', (level, severity) => {
    const { stream, lines } = captureStream();
    createLogger(config, stream)[level]('x');
    expect(lines[0]?.severity).toBe(severity);
  });

  it('serialises errors under err with their stack', () => {
    const { stream, lines } = captureStream();
    createLogger(config, stream).error(
      { err: new Error('boom') },
      'store failed',
    );
    const err = lines[0]?.err as {
      message: string;
      stack: string;
      type: string;
    };
    expect(err.message).toBe('boom');
    expect(err.type).toBe('Error');
    expect(err.stack).toContain('createLogger.test');
  });

  it('repeats the stack as stack_trace on error lines, for Cloud Error Reporting, and only there', () => {
    const { stream, lines } = captureStream();
    const logger = createLogger(config, stream);
    const err = new Error('boom');
    logger
      .child({ module: 'bus' })
      .error({ err, eventId: 'e-1' }, 'handler failed');
    logger.warn({ err }, 'bus reconnecting');
    logger.error('no error object here');

    expect(lines[0]).toMatchObject({
      message: 'handler failed',
      eventId: 'e-1',
      stack_trace: err.stack,
    });
    expect((lines[0]?.err as { stack: string }).stack).toBe(err.stack);
    expect(lines[1]).not.toHaveProperty('stack_trace');
    expect(lines[2]).not.toHaveProperty('stack_trace');
    expect(lines[2]?.message).toBe('no error object here');
  });

  it('never writes a token or connection params', () => {
    const { stream, text } = captureStream();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6b3dpIn0.signature';
    createLogger(config, stream).info(
      {
        authorization: `Bearer ${jwt}`,
        headers: { authorization: `Bearer ${jwt}` },
        connectionParams: { authorization: `Bearer ${jwt}` },
      },
      'connection',
    );
    expect(text()).toContain('[redacted]');
    expect(text()).not.toContain(jwt);
  });
});
