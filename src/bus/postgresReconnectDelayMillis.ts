/**
 * How long the postgres bus waits before reconnect attempt `attempt` (0 for
 * the first): doubling from `initialDelayMillis` up to `maxDelayMillis`, of
 * which a random half is jitter. Jitter keeps the pods that all lost their
 * connection to one restarting server from reconnecting in lockstep; the
 * fixed half keeps a failing server from being retried in a tight loop.
 *
 * @param random a number in [0, 1); tests pass a fixed one.
 */
export function postgresReconnectDelayMillis(
  attempt: number,
  initialDelayMillis: number,
  maxDelayMillis: number,
  random: () => number = Math.random,
): number {
  const ceilingMillis = Math.min(
    maxDelayMillis,
    initialDelayMillis * 2 ** Math.min(attempt, 30),
  );
  return Math.round(ceilingMillis / 2 + (random() * ceilingMillis) / 2);
}
