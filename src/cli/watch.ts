/**
 * Watches `templateAdded` as one seed user, printing each template as it
 * arrives, for trying the service by hand:
 *
 *   npm run watch -- zolo                     # ws://127.0.0.1:3001/graphql
 *   npm run watch -- zelo ws://127.0.0.1:3004/graphql
 *   npm run watch -- zelo ws://127.0.0.1:3004/graphql ws://127.0.0.1:3003/graphql
 *
 * With several URLs, each reconnect tries the next, as a client behind a
 * load balancer lands on another pod. Signs a development token the way
 * `npm run token` does. Ctrl-C stops it.
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

const DEFAULT_URL = 'ws://127.0.0.1:3001/graphql';

/** Reconnect delays grow to this and stay there: a watcher left running
 * while the cluster restarts should be back within seconds of it. */
const MAX_RETRY_WAIT_MILLIS = 5_000;

async function main(argv: readonly string[]): Promise<void> {
  const [userId, ...givenUrls] = argv;
  if (userId === undefined) {
    console.error(
      'usage: npm run watch -- <user id> [ws://host:port/graphql ...]',
    );
    process.exit(1);
  }
  const urls = givenUrls.length > 0 ? givenUrls : [DEFAULT_URL];
  const token = await signDevelopmentToken(userId, '12h');

  // The URL of the latest connection attempt; each attempt takes the next.
  let url = DEFAULT_URL;
  let attempts = 0;
  const client = createClient({
    url: () => {
      url = urls[attempts++ % urls.length] ?? DEFAULT_URL;
      return url;
    },
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Infinity,
    retryWait: async (retries) => {
      // Jitter, so watchers cut off together do not return together.
      const millis =
        Math.min(MAX_RETRY_WAIT_MILLIS, 250 * 2 ** retries) +
        Math.random() * 250;
      await new Promise((resolve) => setTimeout(resolve, millis));
    },
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
