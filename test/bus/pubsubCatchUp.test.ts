import { jest } from '@jest/globals';

import { pubsubCatchUp, type HandOff } from '../../src/bus/pubsubCatchUp.js';
import { PubSubTimeoutError } from '../../src/bus/pubsubDeadline.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { ManualClock } from '../store/ManualClock.js';

/** A store with `count` events, one a second from the clock's start. */
async function storeWithEvents(
  count: number,
): Promise<{ store: MemoryStore; clock: ManualClock; ids: string[] }> {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock: clock.now });
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const event = await store.addTemplate('zowi', {
      name: `t${index}`,
      shareLocationIds: ['location-1'],
    });
    ids.push(event.id);
    clock.advance(1_000);
  }
  return { store, clock, ids };
}

const noClose = (): void => undefined;

describe('pubsubCatchUp', () => {
  it('reads every event written since the time, a page at a time, oldest first', async () => {
    const { store, ids } = await storeWithEvents(7);
    const pageReads = jest.spyOn(store, 'listEventsAfter');
    const offered: string[] = [];
    const seen = new Set(ids.slice(0, 3));

    const report = await pubsubCatchUp({
      events: store,
      // The third event's stamp: 2 s after the first.
      since: new Date(Date.parse('2025-01-01T09:00:02.000Z')),
      handOver: (event: TemplateEvent): HandOff => {
        offered.push(event.id);
        return seen.has(event.id) ? 'duplicate' : 'handed-over';
      },
      throwIfClosing: noClose,
      readTimeoutMillis: 1_000,
      pageSize: 2,
    });

    expect(offered).toEqual(ids.slice(2));
    expect(pageReads.mock.calls).toEqual([
      [2, 2],
      [4, 2],
      [6, 2],
    ]);
    expect(report).toEqual({
      fromSequence: 3,
      read: 5,
      handedOver: 4,
      duplicates: 1,
      failed: 0,
    });
  });

  it('reads nothing when no event was written since', async () => {
    const { store, clock } = await storeWithEvents(2);

    const report = await pubsubCatchUp({
      events: store,
      since: clock.now(),
      handOver: () => {
        throw new Error('nothing should be offered');
      },
      throwIfClosing: noClose,
      readTimeoutMillis: 1_000,
    });

    expect(report).toEqual({
      fromSequence: null,
      read: 0,
      handedOver: 0,
      duplicates: 0,
      failed: 0,
    });
  });

  it('offers nothing more once the bus is closing', async () => {
    const { store, ids } = await storeWithEvents(4);
    const offered: string[] = [];
    let closing = false;

    const catchUp = pubsubCatchUp({
      events: store,
      since: new Date(0),
      handOver: (event) => {
        offered.push(event.id);
        closing = offered.length === 2;
        return 'handed-over';
      },
      throwIfClosing: () => {
        if (closing) throw new Error('closing');
      },
      readTimeoutMillis: 1_000,
    });

    await expect(catchUp).rejects.toThrow('closing');
    expect(offered).toEqual(ids.slice(0, 2));
  });

  it('gives up on a read that overruns its budget', async () => {
    const { store } = await storeWithEvents(1);
    jest
      .spyOn(store, 'firstEventSequenceSince')
      .mockReturnValue(new Promise<number | null>(() => undefined));

    await expect(
      pubsubCatchUp({
        events: store,
        since: new Date(0),
        handOver: () => 'handed-over',
        throwIfClosing: noClose,
        readTimeoutMillis: 20,
      }),
    ).rejects.toBeInstanceOf(PubSubTimeoutError);
  });
});
