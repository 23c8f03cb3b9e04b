import type { RunningEmulator } from './pubsubEmulator.js';

export default async function globalTeardown(): Promise<void> {
  const emulator = (globalThis as { __pubsubEmulator?: RunningEmulator })
    .__pubsubEmulator;
  await emulator?.stop();
}
