import type { DestinationStream } from 'pino';

import { createLogger, type Logger } from '../../src/logging/createLogger.js';

/** One JSON line a logger wrote, parsed. */
export type LogLine = Record<string, unknown> & {
  readonly level: string;
  readonly message: string;
};

/** What a capture stream has been given, raw and parsed. */
export interface CapturedLines {
  /** Every line, parsed, in the order written; tests may empty it. */
  readonly lines: LogLine[];
  /** The lines whose `message` is exactly `message`. */
  readonly withMessage: (message: string) => LogLine[];
  /** Everything written, as text: for "the token never appears" checks. */
  readonly text: () => string;
}

/** A destination for a logger the test builds itself, and what it got. */
export interface LogStream extends CapturedLines {
  readonly stream: DestinationStream;
}

/** A real logger (see {@link captureLogs}) and what it wrote. */
export interface CapturedLogs extends CapturedLines {
  readonly logger: Logger;
}

/**
 * A destination that keeps what is written to it. pino writes to it
 * synchronously, so a line is there as soon as the log call returns.
 * For tests of createLogger itself, which pass their own config.
 */
export function captureStream(): LogStream {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const stream: DestinationStream = {
    write(chunk: string) {
      raw.push(chunk);
      for (const text of chunk.split('\n')) {
        if (text !== '') lines.push(JSON.parse(text) as LogLine);
      }
    },
  };
  return {
    stream,
    lines,
    withMessage: (message) => lines.filter((line) => line.message === message),
    text: () => raw.join(''),
  };
}

/**
 * A real logger, built by createLogger as main builds it, at `level`
 * (`'silent'` for one nobody reads), whose JSON lines the test reads back.
 */
export function captureLogs(level = 'debug'): CapturedLogs {
  const { stream, ...captured } = captureStream();
  const logger = createLogger(
    { instanceId: 'test-instance', log: { level, format: 'json' } },
    stream,
  );
  return { logger, ...captured };
}
