import pino, { type DestinationStream, type Logger } from 'pino';

import type { Config } from '../config/config.js';

export type { Logger };

// Cloud Logging reads `severity`; pino's level names map onto its scale.
const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * Anything that could carry a credential. Connection payloads and headers are
 * never logged on purpose; this is the net under that rule.
 */
const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'connectionParams',
  '*.connectionParams',
  'token',
  '*.token',
];

/** pino's number for `error`; `fatal` is above it. */
const ERROR_LEVEL = 50;

/**
 * Cloud Error Reporting groups a structured log line only when its stack is
 * in `message`, `stack_trace` or `exception`, not nested under `err.stack`.
 * Lines at error and fatal, our own faults, get the stack there as well, so
 * each fault shows up there; warnings (degradation) stay out of it.
 */
function reportErrorsToErrorReporting(
  this: Logger,
  args: Parameters<pino.LogFn>,
  method: pino.LogFn,
  level: number,
): void {
  // Every line passes here, the debug share-rule decisions included:
  // anything below error leaves at once.
  if (level < ERROR_LEVEL) {
    method.apply(this, args);
    return;
  }
  const [first, ...rest] = args as unknown[];
  const err = (first as { err?: unknown } | null | undefined)?.err;
  if (err instanceof Error && err.stack) {
    const withStack = { ...(first as object), stack_trace: err.stack };
    method.apply(this, [withStack, ...rest] as Parameters<pino.LogFn>);
    return;
  }
  method.apply(this, args);
}

/**
 * The root logger: JSON lines Cloud Logging understands (`severity`,
 * `message`, `err` with its stack), every line carrying the instance id.
 * Modules take `logger.child({ module: '...' })`.
 *
 * @param destination where lines go; tests pass a stream to assert on them.
 */
export function createLogger(
  config: Pick<Config, 'instanceId' | 'log'>,
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.log.level,
    messageKey: 'message',
    base: { instanceId: config.instanceId, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({
        severity: SEVERITY[label] ?? 'DEFAULT',
        level: label,
      }),
    },
    serializers: { err: pino.stdSerializers.err },
    hooks: { logMethod: reportErrorsToErrorReporting },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };

  if (destination !== undefined) return pino(options, destination);
  if (config.log.format === 'pretty') {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { messageKey: 'message', ignore: 'pid,hostname,severity' },
      },
    });
  }
  // Synchronous writes: a line logged just before process.exit (shutdown,
  // a crash) is on stdout, in order, when the process ends. Async writes
  // could be overtaken by the exit-time flush. In a container stdout is a
  // pipe to the runtime, so a write per line is cheap.
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
