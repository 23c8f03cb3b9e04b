import { PubSub } from '@google-cloud/pubsub';

// The launcher lives with the development tools so `npm start` can use it.
export * from '../../src/devtools/pubsubEmulator.js';

/** The project instances use against the emulator (config.ts's default). */
export const EMULATOR_PROJECT_ID = 'template-feed-local';

/** The emulator jest's globalSetup started for the whole run. */
export function sharedEmulatorHost(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (host === undefined) {
    throw new Error('jest globalSetup should have started the emulator');
  }
  return host;
}

/**
 * A client of our own on the emulator at `host`, in the instances' project:
 * to look at topics and subscriptions, or publish what the app would not.
 */
export function emulatorAdmin(host: string): PubSub {
  return new PubSub({
    projectId: EMULATOR_PROJECT_ID,
    apiEndpoint: host,
    emulatorMode: true,
    universeDomain: 'googleapis.com',
  });
}
