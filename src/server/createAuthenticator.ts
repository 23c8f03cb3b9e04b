import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';

import type { Config } from '../config/config.js';
import { DomainError } from '../domain/DomainError.js';
import { ErrorCode } from '../domain/errorCodes.js';
import { isSafeId } from '../domain/safeText.js';
import type { User } from '../domain/types.js';
import type { Store } from '../store/Store.js';

/**
 * Why a caller was turned away. `missing` means no credentials were offered
 * at all (WebSocket close 4401); the others mean they were refused (4403).
 */
export type AuthenticationFailure =
  'missing' | 'malformed' | 'invalid' | 'expired' | 'unknown-user';

export type AuthenticationResult =
  | { readonly ok: true; readonly user: User }
  | {
      readonly ok: false;
      readonly reason: AuthenticationFailure;
      /** Safe to show the client; never contains the token. */
      readonly message: string;
    };

/** Turns an `Authorization` value into the user it names. */
export interface Authenticator {
  /**
   * Verifies `Bearer <JWT>` and loads the user named by `sub`. Resolves to
   * a failure for anything the caller got wrong; rejects only when we could
   * not decide: with the store's error when the store is down, and with a
   * DomainError SERVICE_UNAVAILABLE when the JWKS endpoint cannot be read.
   */
  authenticate(authorization: unknown): Promise<AuthenticationResult>;
}

export interface AuthenticatorOptions {
  readonly auth: Config['auth'];
  readonly store: Pick<Store, 'getUser'>;
  /** The clock tokens' `exp` and `nbf` are checked against. */
  readonly now?: () => Date;
}

const MESSAGES: Readonly<Record<AuthenticationFailure, string>> = {
  missing: 'an Authorization: Bearer <token> header is required',
  malformed: 'the Authorization value must be Bearer <token>',
  invalid: 'the token is invalid',
  expired: 'the token has expired',
  'unknown-user': 'the token names no known user',
};

// Asymmetric algorithms an identity provider's JWKS may use. HS256 is only
// ever checked against our own secret, never against a JWKS key.
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

// Seconds of clock skew tolerated between the token issuer and this pod.
const CLOCK_TOLERANCE_SECONDS = 5;

const BEARER = /^Bearer +([A-Za-z0-9\-_.]+)$/i;

/**
 * Verifies JWTs with HS256 and `auth.jwtSecret`, or against `auth.jwksUrl`
 * (with `auth.issuer` and `auth.audience` when set), or both, chosen by the
 * token's `alg`.
 */
export function createAuthenticator(
  options: AuthenticatorOptions,
): Authenticator {
  const { auth, store, now = () => new Date() } = options;
  const secret =
    auth.jwtSecret === undefined
      ? undefined
      : new TextEncoder().encode(auth.jwtSecret);
  const jwks =
    auth.jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(new URL(auth.jwksUrl));
  const algorithms = [
    ...(secret === undefined ? [] : ['HS256']),
    ...(jwks === undefined ? [] : JWKS_ALGORITHMS),
  ];
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret !== undefined) return secret;
    if (jwks === undefined) throw new errors.JWSSignatureVerificationFailed();
    try {
      return await jwks(header, token);
    } catch (err) {
      if (isKeySetUnavailable(err)) {
        throw new DomainError(
          ErrorCode.SERVICE_UNAVAILABLE,
          'the identity provider cannot be reached',
          {},
          { cause: err },
        );
      }
      throw err;
    }
  };

  const fail = (reason: AuthenticationFailure): AuthenticationResult => ({
    ok: false,
    reason,
    message: MESSAGES[reason],
  });

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        return fail('missing');
      }
      const match =
        typeof authorization === 'string'
          ? BEARER.exec(authorization.trim())
          : null;
      if (match?.[1] === undefined) return fail('malformed');

      let subject: string | undefined;
      try {
        const { payload } = await jwtVerify(match[1], getKey, {
          algorithms,
          issuer: auth.issuer,
          audience: auth.audience,
          // A token that never expires is a credential that can never be
          // taken back; refuse it whatever signed it.
          requiredClaims: ['exp'],
          currentDate: now(),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
        subject = payload.sub;
      } catch (err) {
        if (err instanceof errors.JWTExpired) return fail('expired');
        if (err instanceof errors.JOSEError) return fail('invalid');
        throw err;
      }
      // A sub that cannot name a stored user (NUL, unpaired surrogates, a
      // megabyte of text) is refused here: PostgreSQL would fail on it
      // rather than find nobody.
      if (subject === undefined || !isSafeId(subject)) return fail('invalid');

      const user = await store.getUser(subject);
      return user === null ? fail('unknown-user') : { ok: true, user };
    },
  };
}

/**
 * Whether fetching the key set failed, which is the identity provider's
 * problem and not the caller's: a timeout, a network error (fetch's
 * TypeError), a non-200 answer or an unparsable set (jose's generic
 * JOSEError), or a set that is not a JWKS. A token whose `kid` matches no
 * key (JWKSNoMatchingKey) is the caller's problem.
 */
function isKeySetUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout) return true;
  if (err instanceof errors.JWKSInvalid) return true;
  if (!(err instanceof errors.JOSEError)) return true;
  return err.code === errors.JOSEError.code;
}
