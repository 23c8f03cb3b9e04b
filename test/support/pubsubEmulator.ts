// The launcher lives with the development tools so `npm start` can use it.
export * from '../../src/devtools/pubsubEmulator.js';

/** The emulator jest's globalSetup started for the whole run. */
export function sharedEmulatorHost(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (host === undefined) {
    throw new Error('jest globalSetup should have started the emulator');
  }
  return host;
}
