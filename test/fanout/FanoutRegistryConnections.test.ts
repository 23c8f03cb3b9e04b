import {
  FanoutRegistry,
  type TemplateEventIterator,
} from '../../src/fanout/FanoutRegistry.js';
import { captureLogs } from '../support/captureLogs.js';
import { seedEvent, seedUser } from '../support/seedEvents.js';

function subscribe(
  registry: FanoutRegistry,
  userId: string,
  connectionId?: string,
): TemplateEventIterator {
  const user = seedUser(userId);
  return registry.subscribe({
    userId: user.id,
    organizationId: user.organizationId,
    locationId: user.locationId,
    ...(connectionId === undefined ? {} : { connectionId }),
  });
}

describe('FanoutRegistry.closeConnection', () => {
  function setUp() {
    return new FanoutRegistry({
      logger: captureLogs('silent').logger,
      queueCapacity: 8,
    });
  }

  it('ends every subscriber of the connection and no one else', async () => {
    const registry = setUp();
    const first = subscribe(registry, 'zolo', 'connection-a');
    const second = subscribe(registry, 'zewi', 'connection-a');
    const other = subscribe(registry, 'zelo', 'connection-b');
    const anonymous = subscribe(registry, 'zuri');
    const waiting = first.next();

    expect(registry.closeConnection('connection-a')).toBe(2);

    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    await expect(second.next()).resolves.toEqual({
      done: true,
      value: undefined,
    });
    expect(registry.subscriberCount).toBe(2);
    expect(registry.subscriberCountOfConnection('connection-a')).toBe(0);
    expect(registry.subscriberCountOfConnection('connection-b')).toBe(1);
    expect(registry.connectionCount).toBe(1);

    // The others still receive what is shared with them.
    const result = registry.dispatch(seedEvent('zowi', ['location-2']));
    expect(result.delivered).toBe(1);
    const delivered = await other.next();
    expect(delivered.done).toBe(false);
    await other.return();
    await anonymous.return();
  });

  it('leaves no index keys once the last connection is closed', () => {
    const registry = setUp();
    for (let index = 0; index < 5; index += 1) {
      subscribe(registry, 'zolo', 'connection-a');
      subscribe(registry, 'zapa', 'connection-a');
    }

    expect(registry.closeConnection('connection-a')).toBe(10);

    expect(registry.stats()).toMatchObject({
      subscribers: 0,
      indexKeys: { locations: 0, organizations: 0, users: 0 },
    });
    expect(registry.connectionCount).toBe(0);
  });

  it('forgets subscribers that ended on their own', async () => {
    const registry = setUp();
    const iterator = subscribe(registry, 'zolo', 'connection-a');

    await iterator.return();

    expect(registry.connectionCount).toBe(0);
    expect(registry.closeConnection('connection-a')).toBe(0);
  });

  it('returns 0 for a connection it never saw', () => {
    expect(setUp().closeConnection('unknown')).toBe(0);
  });
});
