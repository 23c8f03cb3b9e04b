/**
 * Watches `templateAdded` as one seed user, printing each template as it
 * arrives, for trying the service by hand:
 *
 *   npm run watch -- zolo                     # ws://127.0.0.1:3001/graphql
 *   npm run watch -- zelo ws://127.0.0.1:3004/graphql
 *
 * Signs a development token the way `npm run token` does. Ctrl-C stops it.
 */
import { CloseCode, createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { signDevelopmentToken } from './signDevelopmentToken.js';

const SUBSCRIPTION = /* GraphQL */ `
  subscription {
    templateAdded {
      id
      name
      shareLocationIds
      createdBy {
        id
        name
      }
      createdAt
    }
  }
`;

function isRefusal(event: unknown): boolean {
  const code = (event as { code?: unknown } | null)?.code;
  return code === CloseCode.Unauthorized || code === CloseCode.Forbidden;
}

async function main(argv: readonly string[]): Promise<void> {
  const [userId, url = 'ws://127.0.0.1:3001/graphql'] = argv;
  if (userId === undefined) {
    console.error('usage: npm run watch -- <user id> [ws://host:port/graphql]');
    process.exit(1);
  }
  const token = await signDevelopmentToken(userId, '12h');

  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Infinity,
    // A refused token stays refused: say so and stop instead of retrying.
    shouldRetry: (event) => !isRefusal(event),
    on: {
      connected: () =>
        console.error(`watching templateAdded as ${userId} on ${url}`),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        if (isRefusal(event)) {
          console.error(`refused (${code} ${reason}); check the token`);
          process.exit(1);
        }
        console.error(`socket closed ${code} ${reason}; reconnecting`);
      },
    },
  });
  process.once('SIGINT', () => {
    void client.dispose();
    process.exit(0);
  });

  for await (const result of client.iterate({ query: SUBSCRIPTION })) {
    console.log(JSON.stringify(result.data ?? result.errors));
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
