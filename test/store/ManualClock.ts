/** A clock tests move by hand, so timestamps and their order are exact. */
export class ManualClock {
  private nowMillis: number;

  constructor(start = '2025-01-01T09:00:00.000Z') {
    this.nowMillis = Date.parse(start);
  }

  /** The function stores take as their clock. */
  readonly now = (): Date => new Date(this.nowMillis);

  advance(millis: number): void {
    this.nowMillis += millis;
  }
}
