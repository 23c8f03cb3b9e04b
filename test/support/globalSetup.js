// Plain JavaScript: jest loads global hooks with Node's own ESM loader, which
// strips the launcher's types itself (Node 24).
import { startPubsubEmulator } from '../../src/devtools/pubsubEmulator.ts';

/**
 * One Pub/Sub emulator for the whole run, unless PUBSUB_EMULATOR_HOST already
 * names one. Workers inherit the address through the environment. Suites
 * that stop and restart an emulator start their own instead.
 */
export default async function globalSetup() {
  if (process.env.PUBSUB_EMULATOR_HOST) return;
  const emulator = await startPubsubEmulator();
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  globalThis.__pubsubEmulator = emulator;
}
