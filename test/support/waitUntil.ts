/**
 * Polls `condition` until it holds; rejects with `message` (and the last
 * value seen, when `describe` is given) after `timeoutMillis`. For state
 * that settles asynchronously, such as a server noticing closed sockets.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeoutMillis = 10_000,
  describe?: () => unknown,
): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const last =
        describe === undefined ? '' : ` (last: ${JSON.stringify(describe())})`;
      throw new Error(`timed out: ${message}${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
