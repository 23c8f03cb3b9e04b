/**
 * A configuration variable is missing or wrong. Its message is the one line
 * start-up prints before exiting, and it always names the variable.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}
