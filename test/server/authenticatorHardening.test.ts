import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
import { DomainError } from '../../src/domain/DomainError.js';
import { createAuthenticator } from '../../src/server/createAuthenticator.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';

const secret = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);

describe('createAuthenticator refuses tokens that never expire', () => {
  let server: http.Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'k1',
      alg: 'RS256',
    };
    server = http.createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const authenticator = () =>
    createAuthenticator({
      auth: {
        jwtSecret: DEVELOPMENT_JWT_SECRET,
        jwksUrl,
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
      .sign(privateKey);
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
      .sign(privateKey);
    expect(await authenticator().authenticate(`Bearer ${hs256}`)).toMatchObject(
      { ok: true, user: { id: 'zowi' } },
    );
    expect(await authenticator().authenticate(`Bearer ${rs256}`)).toMatchObject(
      { ok: true, user: { id: 'zapa' } },
    );
  });
});

describe('createAuthenticator when the identity provider is down', () => {
  let server: http.Server;
  let baseUrl: string;
  let privateKey: CryptoKey;
  let jwk: Record<string, unknown>;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
    server = http.createServer((request, response) => {
      if (request.url === '/broken') {
        response.statusCode = 500;
        response.end('upstream trouble');
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
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
      .sign(privateKey);

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
      authenticatorAt(`${baseUrl}/broken`).authenticate(
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
      await authenticatorAt(`${baseUrl}/jwks`).authenticate(
        `Bearer ${await rs256('unknown-kid')}`,
      ),
    ).toMatchObject({ ok: false, reason: 'invalid' });
  });
});
