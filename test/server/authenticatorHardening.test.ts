import { SignJWT } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
import { DomainError } from '../../src/domain/DomainError.js';
import { createAuthenticator } from '../../src/server/createAuthenticator.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { startJwksServer, type JwksServer } from '../support/jwksServer.js';

const secret = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);

describe('createAuthenticator refuses tokens that never expire', () => {
  let jwks: JwksServer;

  beforeAll(async () => {
    jwks = await startJwksServer();
  });

  afterAll(async () => {
    await jwks.stop();
  });

  const authenticator = () =>
    createAuthenticator({
      auth: {
        jwtSecret: DEVELOPMENT_JWT_SECRET,
        jwksUrl: jwks.jwksUrl,
        issuer: undefined,
        audience: undefined,
      },
      store: new MemoryStore(),
    });

  it('turns away an HS256 token without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('zowi')
      .setIssuedAt()
      .sign(secret);
    expect(await authenticator().authenticate(`Bearer ${token}`)).toEqual({
      ok: false,
      reason: 'invalid',
      message: 'the token is invalid',
    });
  });

  it('turns away a JWKS-signed token without exp', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('zapa')
      .sign(jwks.privateKey);
    expect(await authenticator().authenticate(`Bearer ${token}`)).toMatchObject(
      { ok: false, reason: 'invalid' },
    );
  });

  it('still accepts the same tokens once they carry exp', async () => {
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('zowi')
      .setExpirationTime('5m')
      .sign(secret);
    const rs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('zapa')
      .setExpirationTime('5m')
      .sign(jwks.privateKey);
    expect(await authenticator().authenticate(`Bearer ${hs256}`)).toMatchObject(
      { ok: true, user: { id: 'zowi' } },
    );
    expect(await authenticator().authenticate(`Bearer ${rs256}`)).toMatchObject(
      { ok: true, user: { id: 'zapa' } },
    );
  });
});

describe('createAuthenticator when the identity provider is down', () => {
  let jwks: JwksServer;

  beforeAll(async () => {
    jwks = await startJwksServer();
  });

  afterAll(async () => {
    await jwks.stop();
  });

  const authenticatorAt = (jwksUrl: string) =>
    createAuthenticator({
      auth: {
        jwtSecret: undefined,
        jwksUrl,
        issuer: undefined,
        audience: undefined,
      },
      store: new MemoryStore(),
    });

  const rs256 = (kid: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('zapa')
      .setExpirationTime('5m')
      .sign(jwks.privateKey);

  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      (value) => {
        throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
      },
      (err: unknown) => err,
    );
  }

  it('rejects with SERVICE_UNAVAILABLE, not "invalid", when the key set answers 500', async () => {
    const err = await rejection(
      authenticatorAt(`${jwks.baseUrl}/broken`).authenticate(
        `Bearer ${await rs256('k1')}`,
      ),
    );
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('rejects with SERVICE_UNAVAILABLE when nothing answers at the key set URL', async () => {
    // Port 9 (discard) is closed on loopback: connections are refused.
    const err = await rejection(
      authenticatorAt('http://127.0.0.1:9/jwks').authenticate(
        `Bearer ${await rs256('k1')}`,
      ),
    );
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('still turns away a token whose kid names no key as invalid', async () => {
    expect(
      await authenticatorAt(jwks.jwksUrl).authenticate(
        `Bearer ${await rs256('unknown-kid')}`,
      ),
    ).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
