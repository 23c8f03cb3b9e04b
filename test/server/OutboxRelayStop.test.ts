import type { TemplateEvent } from '../../src/domain/types.js';
import { OutboxRelay } from '../../src/server/OutboxRelay.js';
import type { StoredEvent } from '../../src/store/Store.js';
import { captureLogs } from '../support/captureLogs.js';
import { seedEvent } from '../support/seedEvents.js';

/** The part of a store a relay uses, holding events in memory. */
class FakeOutboxStore {
  readonly published: string[] = [];

  constructor(private readonly events: TemplateEvent[]) {}

  listUnpublishedEvents(): Promise<StoredEvent[]> {
    return Promise.resolve(
      this.events
        .filter((event) => !this.published.includes(event.id))
        .map((event, index) => ({ sequence: index + 1, event })),
    );
  }

  markEventPublished(eventId: string): Promise<void> {
    this.published.push(eventId);
    return Promise.resolve();
  }
}

describe('OutboxRelay.stop with the bus down', () => {
  it('does not wait for a publish that never finishes, and leaves its event unpublished', async () => {
    const event = seedEvent('zowi', ['location-3']);
    const store = new FakeOutboxStore([event]);
    const attempts: string[] = [];
    const relay = new OutboxRelay({
      store,
      publish: (published) => {
        attempts.push(published.id);
        return new Promise<void>(() => undefined);
      },
      logger: captureLogs('silent').logger,
      minimumAgeMillis: 0,
    });

    const order: string[] = [];
    const round = relay.runOnce().then((count) => {
      order.push(`round ended with ${count}`);
    });
    // The publish has started before stop() is called.
    await Promise.resolve();
    await Promise.resolve();
    expect(attempts).toEqual([event.id]);

    await relay.stop().then(() => order.push('stopped'));
    await round;

    expect(order).toEqual(['round ended with 0', 'stopped']);
    expect(store.published).toEqual([]);
  });
});
