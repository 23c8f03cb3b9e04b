/**
 * Start-up could not reach PostgreSQL. The message is the one line start-up
 * prints; like a ConfigError it names the variable to look at, and never
 * the password.
 */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  /** The configuration variable that names the database. */
  readonly variable = 'DATABASE_URL';

  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(
      `DATABASE_URL names a PostgreSQL that cannot be reached ` +
        `(${describeDatabaseUrl(url)}): ${reason}`,
      options,
    );
  }
}

/** host:port/database, without credentials: safe to log and print. */
export function describeDatabaseUrl(url: string): string {
  if (!URL.canParse(url)) return 'an unparsable URL';
  const parsed = new URL(url);
  const host = parsed.host === '' ? 'localhost' : parsed.host;
  return `${host}${parsed.pathname === '' ? '/' : parsed.pathname}`;
}
