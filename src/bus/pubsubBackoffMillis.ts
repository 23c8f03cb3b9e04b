/**
 * How long to wait before reconnect attempt `attempt` (0 for the first):
 * exponential from `minMillis`, capped at `maxMillis`, with half of it
 * random so that pods which lost Pub/Sub together do not return in step.
 */
export function pubsubBackoffMillis(
  attempt: number,
  minMillis: number,
  maxMillis: number,
  random: () => number = Math.random,
): number {
  // 2 ** 30 is far past any cap; clamping keeps the arithmetic finite.
  const exponential = minMillis * 2 ** Math.min(attempt, 30);
  const ceiling = Math.min(maxMillis, exponential);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
