import { startPubsubEmulator } from './pubsubEmulator.js';

/**
 * One Pub/Sub emulator for the whole run, unless PUBSUB_EMULATOR_HOST already
 * names one. Workers inherit the address through the environment. Suites
 * that stop and restart an emulator start their own instead.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.PUBSUB_EMULATOR_HOST) return;
  const emulator = await startPubsubEmulator();
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  process.env.TEST_STARTED_PUBSUB_EMULATOR = '1';
  (globalThis as { __pubsubEmulator?: typeof emulator }).__pubsubEmulator =
    emulator;
}
