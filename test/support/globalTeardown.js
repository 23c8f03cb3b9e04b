export default async function globalTeardown() {
  await globalThis.__pubsubEmulator?.stop();
}
