import { BoundedQueue } from '../../src/fanout/BoundedQueue.js';

function drain<T>(queue: BoundedQueue<T>): T[] {
  const items: T[] = [];
  while (!queue.isEmpty) items.push(queue.shift() as T);
  return items;
}

describe('BoundedQueue', () => {
  it('hands items back oldest first', () => {
    const queue = new BoundedQueue<string>(3);
    expect(queue.push('a')).toBe(true);
    expect(queue.push('b')).toBe(true);
    expect(queue.shift()).toBe('a');
    expect(queue.push('c')).toBe(true);
    expect(drain(queue)).toEqual(['b', 'c']);
    expect(queue.shift()).toBeUndefined();
  });

  it('refuses an item when full and keeps what it holds', () => {
    const queue = new BoundedQueue<number>(2);
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.isFull).toBe(true);
    expect(queue.push(3)).toBe(false);
    expect(queue.size).toBe(2);
    expect(drain(queue)).toEqual([1, 2]);
  });

  it('keeps order while growing past its first slots and wrapping around', () => {
    const queue = new BoundedQueue<number>(100);
    const expected: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the ring wraps before each growth.
    for (let round = 0; round < 20; round += 1) {
      for (let i = 0; i < 5; i += 1) {
        expect(queue.push(next)).toBe(true);
        expected.push(next);
        next += 1;
      }
      expect(queue.shift()).toBe(expected.shift());
      expect(queue.shift()).toBe(expected.shift());
    }
    expect(queue.size).toBe(60);
    expect(drain(queue)).toEqual(expected);
  });

  it('holds exactly its capacity after growing', () => {
    const queue = new BoundedQueue<number>(37);
    for (let i = 0; i < 37; i += 1) expect(queue.push(i)).toBe(true);
    expect(queue.push(37)).toBe(false);
    expect(drain(queue)).toEqual(Array.from({ length: 37 }, (_, i) => i));
  });

  it('empties on clear and reports how many items it dropped', () => {
    const queue = new BoundedQueue<number>(8);
    for (let i = 0; i < 6; i += 1) queue.push(i);
    expect(queue.clear()).toBe(6);
    expect(queue.size).toBe(0);
    expect(queue.shift()).toBeUndefined();
    expect(queue.push(9)).toBe(true);
    expect(drain(queue)).toEqual([9]);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a capacity of %p', (capacity) => {
    expect(() => new BoundedQueue(capacity)).toThrow(RangeError);
  });
});
