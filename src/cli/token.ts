/**
 * Prints a development JWT for a seed user, for trying the API by hand:
 *
 *   npm run token -- zowi
 *   curl -H "Authorization: Bearer $(npm run -s token -- zowi)" ...
 */
import {
  signDevelopmentToken,
  TokenRequestError,
} from './signDevelopmentToken.js';

const DEFAULT_LIFETIME = '12h';

async function main(argv: readonly string[]): Promise<void> {
  const [userId, lifetime = DEFAULT_LIFETIME] = argv;
  if (userId === undefined || userId === '') {
    throw new TokenRequestError('no user id given');
  }
  console.log(await signDevelopmentToken(userId, lifetime));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  if (err instanceof TokenRequestError) {
    console.error(
      'usage: npm run token -- <user id> [lifetime, e.g. 30m or 12h]',
    );
  }
  process.exit(1);
});
