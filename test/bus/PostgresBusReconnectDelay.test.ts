import { postgresReconnectDelayMillis } from '../../src/bus/postgresReconnectDelayMillis.js';

describe('postgresReconnectDelayMillis', () => {
  it('doubles per attempt, with a random half, up to the maximum', () => {
    const none = () => 0;
    const almostAll = () => 0.999_999;

    expect(postgresReconnectDelayMillis(0, 250, 30_000, none)).toBe(125);
    expect(postgresReconnectDelayMillis(0, 250, 30_000, almostAll)).toBe(250);
    expect(postgresReconnectDelayMillis(3, 250, 30_000, none)).toBe(1_000);
    expect(postgresReconnectDelayMillis(3, 250, 30_000, almostAll)).toBe(2_000);
    expect(postgresReconnectDelayMillis(20, 250, 30_000, none)).toBe(15_000);
    expect(postgresReconnectDelayMillis(20, 250, 30_000, almostAll)).toBe(
      30_000,
    );
  });

  it('stays finite however many attempts have failed', () => {
    expect(postgresReconnectDelayMillis(10_000, 250, 30_000, () => 0.5)).toBe(
      22_500,
    );
  });
});
