import { Writable } from 'node:stream';

import { createLogger, type Logger } from '../../src/logging/createLogger.js';

/** A JSON log line as pino wrote it. */
export type LogLine = Record<string, unknown> & {
  readonly level: string;
  readonly message: string;
};

/** A real pino logger whose lines the test can read back. */
export function createTestLogger(level = 'debug'): {
  logger: Logger;
  lines: LogLine[];
} {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) {
        if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  const logger = createLogger(
    { instanceId: 'test', log: { level, format: 'json' } },
    destination,
  );
  return { logger, lines };
}
