import { SignJWT } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../config/config.js';
import { SEED_USERS } from '../domain/seedData.js';

/** Why a development token could not be made; the message says how to fix it. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
}

/**
 * An HS256 JWT for a seed user, signed with AUTH_JWT_SECRET or the
 * development secret the service itself falls back to, with AUTH_ISSUER and
 * AUTH_AUDIENCE when set, so it passes the same checks the server makes.
 *
 * @param lifetime a number with s, m, h or d, as `jose` reads it.
 * @throws TokenRequestError for an unknown user or a malformed lifetime.
 */
export async function signDevelopmentToken(
  userId: string,
  lifetime: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  if (!SEED_USERS.some((user) => user.id === userId)) {
    const ids = SEED_USERS.map((user) => user.id).join(', ');
    throw new TokenRequestError(
      `unknown user "${userId}"; seed user ids: ${ids}`,
    );
  }
  if (!/^\d+\s*[smhd]$/.test(lifetime)) {
    throw new TokenRequestError(
      `lifetime must be a number with s, m, h or d (got "${lifetime}")`,
    );
  }

  const secret = env.AUTH_JWT_SECRET?.trim() || DEVELOPMENT_JWT_SECRET;
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(lifetime);
  const issuer = env.AUTH_ISSUER?.trim();
  if (issuer) jwt = jwt.setIssuer(issuer);
  const audience = env.AUTH_AUDIENCE?.trim();
  if (audience) jwt = jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
