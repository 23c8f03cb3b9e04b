import { decodeJwt } from 'jose';

// setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days).
const MAX_TIMER_MILLIS = 2_147_483_647;

const BEARER = /^Bearer +(\S+)$/i;

/**
 * When the JWT in an `Authorization` value expires, in milliseconds since
 * the epoch; undefined when it has no `exp` or is not a JWT. Only for a
 * value the authenticator has accepted: the signature is not checked here.
 */
export function tokenExpiresAtMillis(
  authorization: unknown,
): number | undefined {
  if (typeof authorization !== 'string') return undefined;
  const token = BEARER.exec(authorization.trim())?.[1];
  if (token === undefined) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onExpired` once `now()` has reached `expiresAtMillis`, always from
 * a timer (so never before this returns). Returns a function that cancels
 * it. The timer does not keep the process alive.
 */
export function onTokenExpiry(
  expiresAtMillis: number,
  now: () => number,
  onExpired: () => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const remainingMillis = Math.max(0, expiresAtMillis - now());
    // Far-off expiries are reached in steps a timer can take.
    timer = setTimeout(check, Math.min(remainingMillis, MAX_TIMER_MILLIS));
    timer.unref();
  };
  const check = () => {
    if (now() >= expiresAtMillis) onExpired();
    else schedule();
  };
  schedule();
  return () => clearTimeout(timer);
}
