import { SignJWT } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';

export interface TokenOptions {
  /** HS256 secret. Default: the development secret the server uses. */
  readonly secret?: string;
  /** Seconds since the epoch. Default: an hour from now. */
  readonly expiresAtSeconds?: number;
}

/** An HS256 JWT whose `sub` is `userId`, as `npm run token` makes them. */
export function signToken(
  userId: string,
  options: TokenOptions = {},
): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1_000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(nowSeconds - 60)
    .setExpirationTime(options.expiresAtSeconds ?? nowSeconds + 3_600)
    .sign(new TextEncoder().encode(options.secret ?? DEVELOPMENT_JWT_SECRET));
}

/** Tokens for every seed user, by id. */
export async function seedUserTokens(): Promise<Record<string, string>> {
  const ids = ['zowi', 'zolo', 'zewi', 'zelo', 'zapa', 'zuri'];
  const tokens = await Promise.all(ids.map((id) => signToken(id)));
  return Object.fromEntries(ids.map((id, index) => [id, tokens[index]!]));
}
