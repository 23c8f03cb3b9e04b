import type { SubscriberEndReason } from '../../src/fanout/FanoutMetrics.js';
import { SubscriberStream } from '../../src/fanout/SubscriberStream.js';

function stream(capacity = 3) {
  const ends: SubscriberEndReason[] = [];
  const handedOff: string[] = [];
  const subject = new SubscriberStream<string>({
    capacity,
    onEnd: (reason) => ends.push(reason),
    onHandOff: (item) => handedOff.push(item),
  });
  return { subject, ends, handedOff };
}

/** Whether `promise` has settled once pending callbacks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('SubscriberStream', () => {
  it('hands an item straight to a consumer waiting in next()', async () => {
    const { subject, handedOff } = stream();
    const next = subject.next();
    expect(subject.pendingNextCount).toBe(1);
    expect(subject.offer('a')).toBe('handed');
    await expect(next).resolves.toEqual({ done: false, value: 'a' });
    expect(handedOff).toEqual(['a']);
    expect(subject.pendingNextCount).toBe(0);
  });

  it('queues items for a consumer that has not asked yet, in order', async () => {
    const { subject, handedOff } = stream();
    expect(subject.offer('a')).toBe('queued');
    expect(subject.offer('b')).toBe('queued');
    expect(handedOff).toEqual([]);
    await expect(subject.next()).resolves.toEqual({ done: false, value: 'a' });
    await expect(subject.next()).resolves.toEqual({ done: false, value: 'b' });
    expect(handedOff).toEqual(['a', 'b']);
  });

  it('says full when the queue is at capacity and stays open', () => {
    const { subject, ends } = stream(2);
    subject.offer('a');
    subject.offer('b');
    expect(subject.offer('c')).toBe('full');
    expect(subject.isOpen).toBe(true);
    expect(subject.queuedCount).toBe(2);
    expect(ends).toEqual([]);
  });

  it('ends at once when return() is called before the first next()', async () => {
    const { subject, ends } = stream();
    subject.offer('a');
    await expect(subject.return()).resolves.toEqual({
      done: true,
      value: undefined,
    });
    expect(ends).toEqual(['unsubscribed']);
    expect(subject.queuedCount).toBe(0);
    expect(subject.offer('b')).toBe('ended');
    await expect(subject.next()).resolves.toEqual({
      done: true,
      value: undefined,
    });
  });

  it('settles a waiting next() with done when return() is called', async () => {
    const { subject, ends } = stream();
    const waiting = subject.next();
    const other = subject.next();
    await subject.return();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    await expect(other).resolves.toEqual({ done: true, value: undefined });
    expect(subject.pendingNextCount).toBe(0);
    expect(ends).toEqual(['unsubscribed']);
  });

  it('reports its end once however often it is ended', async () => {
    const { subject, ends } = stream();
    await subject.return();
    await subject.return();
    subject.end('shutdown');
    subject.fail(new Error('late'), 'overflow');
    expect(ends).toEqual(['unsubscribed']);
  });

  it('drops queued items on fail and rejects the next next() with the error, then is done', async () => {
    const { subject, ends } = stream();
    subject.offer('a');
    const error = new Error('overflow');
    subject.fail(error, 'overflow');
    expect(ends).toEqual(['overflow']);
    expect(subject.isOpen).toBe(false);
    await expect(subject.next()).rejects.toBe(error);
    await expect(subject.next()).resolves.toEqual({
      done: true,
      value: undefined,
    });
  });

  it('rejects a waiting next() on fail', async () => {
    const { subject } = stream();
    const waiting = subject.next();
    const error = new Error('overflow');
    subject.fail(error, 'overflow');
    await expect(waiting).rejects.toBe(error);
  });

  it('forgets an undelivered failure when the consumer returns', async () => {
    const { subject, ends } = stream();
    subject.fail(new Error('overflow'), 'overflow');
    await subject.return();
    await expect(subject.next()).resolves.toEqual({
      done: true,
      value: undefined,
    });
    expect(ends).toEqual(['overflow']);
  });

  it('ends with done on end() and reports the dropped items', async () => {
    const { subject, ends } = stream();
    subject.offer('a');
    subject.offer('b');
    expect(subject.end('shutdown')).toBe(2);
    expect(ends).toEqual(['shutdown']);
    expect(await isSettled(subject.next())).toBe(true);
  });

  it('ends and rejects with the given error on throw()', async () => {
    const { subject, ends } = stream();
    const error = new Error('consumer failed');
    await expect(subject.throw(error)).rejects.toBe(error);
    expect(ends).toEqual(['unsubscribed']);
  });

  it('works with for await and stops when returned from inside the loop', async () => {
    const { subject, ends } = stream();
    subject.offer('a');
    subject.offer('b');
    const seen: string[] = [];
    for await (const item of subject) {
      seen.push(item);
      if (item === 'b') break;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(ends).toEqual(['unsubscribed']);
  });
});
