/** How much room a new queue reserves before it first has to grow. */
const INITIAL_SLOTS = 4;

/**
 * A first-in, first-out queue that holds at most `capacity` items and says so
 * instead of growing past it. Storage is a ring that starts small and doubles
 * up to `capacity`, so tens of thousands of idle subscribers with a large
 * capacity cost a few slots each, not `capacity` slots each.
 */
export class BoundedQueue<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.slots = new Array<T | undefined>(Math.min(capacity, INITIAL_SLOTS));
  }

  /** Items waiting. */
  get size(): number {
    return this.count;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  get isFull(): boolean {
    return this.count === this.capacity;
  }

  /**
   * Appends `item` at the tail.
   *
   * @returns false, leaving the queue as it was, when it is already full.
   */
  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count += 1;
    return true;
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    // Clear the slot so a delivered item can be garbage-collected.
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count -= 1;
    return item;
  }

  /** Drops every item; returns how many there were. */
  clear(): number {
    const dropped = this.count;
    this.slots = new Array<T | undefined>(
      Math.min(this.capacity, INITIAL_SLOTS),
    );
    this.head = 0;
    this.count = 0;
    return dropped;
  }

  private grow(): void {
    const grown = new Array<T | undefined>(
      Math.min(this.capacity, this.slots.length * 2),
    );
    // Unroll the ring so the oldest item lands at index 0.
    for (let i = 0; i < this.count; i += 1) {
      grown[i] = this.slots[(this.head + i) % this.slots.length];
    }
    this.slots = grown;
    this.head = 0;
  }
}
