import { createLogger, type Logger } from '../../src/logging/createLogger.js';

/** One JSON line a logger wrote, parsed. */
export type LogLine = Record<string, unknown> & {
  readonly level: string;
  readonly message: string;
};

/**
 * A real logger at `level` whose lines are kept in memory, so tests can
 * assert on what was logged. pino writes synchronously to this destination.
 */
export function captureLogs(level = 'debug'): {
  logger: Logger;
  lines: LogLine[];
  withMessage: (message: string) => LogLine[];
} {
  const lines: LogLine[] = [];
  const logger = createLogger(
    { instanceId: 'test-instance', log: { level, format: 'json' } },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return {
    logger,
    lines,
    withMessage: (message) => lines.filter((line) => line.message === message),
  };
}
