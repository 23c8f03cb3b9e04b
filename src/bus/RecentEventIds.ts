/**
 * The ids of the last `capacity` events seen, to drop the duplicates an
 * at-least-once bus delivers. Memory stays bounded: the oldest id is forgotten
 * first, so a duplicate arriving after `capacity` newer events would pass; at
 * the default that is far beyond Pub/Sub's redelivery window for one pod.
 */
export class RecentEventIds {
  // A Set iterates in insertion order, which makes it a cheap FIFO.
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
  }

  /** Records `id`; returns false when it was already seen (a duplicate). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (oldest.done !== true) this.ids.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
