import { createLogger, type Logger } from '../../src/logging/createLogger.js';

/** One JSON line a logger wrote, parsed. */
export type LogLine = Record<string, unknown> & {
  readonly level: string;
  readonly message: string;
};

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: LogLine[];
  withMessage(message: string): LogLine[];
  /** Everything written, as text: for "the token never appears" checks. */
  text(): string;
}

/**
 * A real logger at `level` whose lines are kept in memory, so tests can
 * assert on what was logged. pino writes to this destination synchronously.
 */
export function captureLogs(level = 'info'): CapturedLogs {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = createLogger(
    { instanceId: 'test-instance', log: { level, format: 'json' } },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return {
    logger,
    lines,
    withMessage: (message) => lines.filter((line) => line.message === message),
    text: () => raw.join(''),
  };
}
