import { SignJWT } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
import { createAuthenticator } from '../../src/server/createAuthenticator.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { startJwksServer, type JwksServer } from '../support/jwksServer.js';
import { signToken } from '../support/tokens.js';

const HS256_ONLY = {
  jwtSecret: DEVELOPMENT_JWT_SECRET,
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
};

describe('createAuthenticator with HS256', () => {
  const authenticator = createAuthenticator({
    auth: HS256_ONLY,
    store: new MemoryStore(),
  });

  it('resolves a valid token to the user its sub names', async () => {
    const result = await authenticator.authenticate(
      `Bearer ${await signToken('zelo')}`,
    );
    expect(result).toEqual({
      ok: true,
      user: {
        id: 'zelo',
        name: 'ZELO',
        organizationId: 'org-1',
        locationId: 'location-2',
      },
    });
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['a Basic header', 'Basic dXNlcjpwdw==', 'malformed'],
    ['a bare token', 'eyJhbGciOiJIUzI1NiJ9.e30.x', 'malformed'],
    ['a non-string', 42, 'malformed'],
    ['garbage after Bearer', 'Bearer not.a.jwt', 'invalid'],
  ])('turns away %s', async (_what, authorization, reason) => {
    expect(await authenticator.authenticate(authorization)).toMatchObject({
      ok: false,
      reason,
    });
  });

  it('turns away a token signed with another secret', async () => {
    const forged = await signToken('zowi', { secret: 'x'.repeat(40) });
    expect(await authenticator.authenticate(`Bearer ${forged}`)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
  });

  it('turns away an expired token, judged by the clock it was given', async () => {
    const expiresAtSeconds = 2_000_000_000;
    const token = await signToken('zowi', { expiresAtSeconds });
    const at = (seconds: number) =>
      createAuthenticator({
        auth: HS256_ONLY,
        store: new MemoryStore(),
        now: () => new Date(seconds * 1_000),
      }).authenticate(`Bearer ${token}`);

    expect(await at(expiresAtSeconds - 60)).toMatchObject({ ok: true });
    expect(await at(expiresAtSeconds + 60)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });

  it('turns away a token whose sub names no user', async () => {
    expect(
      await authenticator.authenticate(`Bearer ${await signToken('zorro')}`),
    ).toMatchObject({ ok: false, reason: 'unknown-user' });
  });

  it('turns away a token without a sub', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('createAuthenticator with a JWKS endpoint', () => {
  let jwks: JwksServer;

  beforeAll(async () => {
    jwks = await startJwksServer();
  });

  afterAll(async () => {
    await jwks.stop();
  });

  const rs256 = (claims: { iss?: string; aud?: string }) => {
    let jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('zapa')
      .setExpirationTime('1h');
    if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
    if (claims.aud !== undefined) jwt = jwt.setAudience(claims.aud);
    return jwt.sign(jwks.privateKey);
  };

  const jwksOnly = () =>
    createAuthenticator({
      auth: {
        jwtSecret: undefined,
        jwksUrl: jwks.jwksUrl,
        issuer: 'https://issuer.example',
        audience: 'template-feed',
      },
      store: new MemoryStore(),
    });

  it('accepts a token signed by a key of the set, with the right issuer and audience', async () => {
    const token = await rs256({
      iss: 'https://issuer.example',
      aud: 'template-feed',
    });
    expect(await jwksOnly().authenticate(`Bearer ${token}`)).toMatchObject({
      ok: true,
      user: { id: 'zapa' },
    });
  });

  it('turns away a token for another audience', async () => {
    const token = await rs256({
      iss: 'https://issuer.example',
      aud: 'someone-else',
    });
    expect(await jwksOnly().authenticate(`Bearer ${token}`)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
  });

  it('turns away an HS256 token when only a JWKS is configured', async () => {
    expect(
      await jwksOnly().authenticate(`Bearer ${await signToken('zapa')}`),
    ).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
