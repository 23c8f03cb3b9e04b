import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
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
