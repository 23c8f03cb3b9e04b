/**
 * Prints a development JWT for a seed user, for trying the API by hand:
 *
 *   npm run token -- zowi
 *   curl -H "Authorization: Bearer $(npm run -s token -- zowi)" ...
 *
 * Signs HS256 with AUTH_JWT_SECRET, or the development secret the service
 * itself falls back to, and adds AUTH_ISSUER / AUTH_AUDIENCE when set, so
 * the token passes the same checks the server makes.
 */
import { SignJWT } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../config/config.js';
import { SEED_USERS } from '../domain/seedData.js';

const DEFAULT_LIFETIME = '12h';

function usage(problem: string): never {
  const ids = SEED_USERS.map((user) => user.id).join(', ');
  console.error(
    `${problem}\nusage: npm run token -- <user id> [lifetime, e.g. 30m or 12h]\n` +
      `seed user ids: ${ids}`,
  );
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<void> {
  const [userId, lifetime = DEFAULT_LIFETIME] = argv;
  if (userId === undefined || userId === '') usage('no user id given');
  if (!SEED_USERS.some((user) => user.id === userId)) {
    usage(`unknown user "${userId}"`);
  }
  if (!/^\d+\s*[smhd]$/.test(lifetime)) {
    usage(`lifetime must be a number with s, m, h or d (got "${lifetime}")`);
  }

  const secret = process.env.AUTH_JWT_SECRET?.trim() || DEVELOPMENT_JWT_SECRET;
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(lifetime);
  const issuer = process.env.AUTH_ISSUER?.trim();
  if (issuer) jwt = jwt.setIssuer(issuer);
  const audience = process.env.AUTH_AUDIENCE?.trim();
  if (audience) jwt = jwt.setAudience(audience);

  console.log(await jwt.sign(new TextEncoder().encode(secret)));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
