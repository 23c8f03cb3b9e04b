import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';

/** A local identity provider's key set, for tokens signed with RS256. */
export interface JwksServer {
  /** Origin of the server, such as `http://127.0.0.1:40123`. */
  readonly baseUrl: string;
  /** `${baseUrl}/jwks`: serves the set with the one public key. */
  readonly jwksUrl: string;
  /** Signs tokens the set verifies, under kid `k1`. */
  readonly privateKey: CryptoKey;
  stop(): Promise<void>;
}

/**
 * Serves a JWKS with one freshly generated RS256 key (kid `k1`) on a free
 * loopback port. Any path serves the set except `/broken`, which answers
 * 500, as an identity provider in trouble would.
 */
export async function startJwksServer(): Promise<JwksServer> {
  const pair = await generateKeyPair('RS256');
  const jwk = {
    ...(await exportJWK(pair.publicKey)),
    kid: 'k1',
    alg: 'RS256',
  };
  const server = http.createServer((request, response) => {
    if (request.url === '/broken') {
      response.statusCode = 500;
      response.end('upstream trouble');
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    jwksUrl: `${baseUrl}/jwks`,
    privateKey: pair.privateKey,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
