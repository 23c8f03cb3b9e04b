import { pubsubBackoffMillis } from '../../src/bus/pubsubBackoffMillis.js';

describe('pubsubBackoffMillis', () => {
  it('doubles from the minimum and never exceeds the cap', () => {
    const highest = () => 1;
    expect(
      [0, 1, 2, 3, 4, 5, 6, 30, 1_000].map((attempt) =>
        pubsubBackoffMillis(attempt, 250, 5_000, highest),
      ),
    ).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
  });

  it('keeps at least half of each delay so jitter never means "at once"', () => {
    const lowest = () => 0;
    expect(
      [0, 1, 2, 10].map((attempt) =>
        pubsubBackoffMillis(attempt, 250, 5_000, lowest),
      ),
    ).toEqual([125, 250, 500, 2_500]);
  });
});
