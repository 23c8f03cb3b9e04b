import { MemoryBus } from '../../src/bus/MemoryBus.js';
import type { TemplateEvent } from '../../src/domain/types.js';
import { FanoutRegistry } from '../../src/fanout/FanoutRegistry.js';
import { seedEvent, seedUser } from '../support/seedEvents.js';
import { captureLogs } from '../support/captureLogs.js';
import { CountingBusMetrics } from '../support/CountingBusMetrics.js';

/** Runs everything already scheduled, including the bus's deliveries. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setUp() {
  const logs = captureLogs('debug');
  const metrics = new CountingBusMetrics();
  const bus = new MemoryBus({ logger: logs.logger, metrics });
  const received: TemplateEvent[] = [];
  return {
    bus,
    logs,
    metrics,
    received,
    handler: (e: TemplateEvent) => received.push(e),
  };
}

describe('MemoryBus', () => {
  it('delivers a published event to its handler on a later turn', async () => {
    const { bus, received, handler } = setUp();
    await bus.start(handler);
    const event = seedEvent('zowi', ['location-3']);

    const publishing = bus.publish(event);
    expect(received).toEqual([]);
    await publishing;
    expect(received).toEqual([]);

    await settle();
    expect(received).toEqual([event]);
    // Encoded and decoded like on a real bus: equal, never the same object.
    expect(received[0]).not.toBe(event);
    expect(received[0]?.template.createdAt).toBeInstanceOf(Date);
    await bus.close();
  });

  it('delivers events in the order they were published', async () => {
    const { bus, received, handler } = setUp();
    await bus.start(handler);
    for (const id of ['a', 'b', 'c']) {
      await bus.publish(seedEvent('zapa', ['location-5'], { id }));
    }
    await settle();
    expect(received.map((event) => event.id)).toEqual(['a', 'b', 'c']);
    await bus.close();
  });

  it('drops an event whose id it has already delivered, and counts both', async () => {
    const { bus, logs, metrics, received, handler } = setUp();
    await bus.start(handler);
    const event = seedEvent('zapa', ['location-5'], { id: 'twice' });
    await bus.publish(event);
    await bus.publish(event);
    await bus.publish(seedEvent('zapa', ['location-5'], { id: 'once' }));
    await settle();

    expect(received.map((e) => e.id)).toEqual(['twice', 'once']);
    expect(metrics.countsFor('memory')).toEqual({
      eventReceived: 2,
      invalidMessageDropped: 0,
      duplicateDropped: 1,
      reconnected: 0,
      publishFailed: 0,
    });
    expect(logs.withMessage('duplicate event dropped')).toEqual([
      expect.objectContaining({ level: 'debug', eventId: 'twice' }),
    ]);
    await bus.close();
  });

  it('warns at start that events stay in this process and says how to fix it', async () => {
    const { bus, logs, handler } = setUp();
    await bus.start(handler);
    const warnings = logs.lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/will not cross instances/);
    expect(warnings[0]?.message).toMatch(/BUS=pubsub/);
    expect(warnings[0]?.message).toMatch(/BUS=postgres/);
    await bus.close();
  });

  it('is attached only between start and close', async () => {
    const { bus, handler } = setUp();
    expect(bus.kind).toBe('memory');
    expect(bus.isAttached()).toBe(false);
    await bus.start(handler);
    expect(bus.isAttached()).toBe(true);
    await bus.close();
    expect(bus.isAttached()).toBe(false);
  });

  it('delivers nothing published before start, like a bus not yet subscribed', async () => {
    const { bus, received, handler } = setUp();
    await bus.publish(seedEvent('zapa', ['location-5']));
    await bus.start(handler);
    await settle();
    expect(received).toEqual([]);
    await bus.close();
  });

  it('detaches on close: nothing in flight is delivered and publish rejects', async () => {
    const { bus, logs, received, handler } = setUp();
    await bus.start(handler);
    await bus.publish(seedEvent('zapa', ['location-5']));
    await bus.close();
    await settle();
    expect(received).toEqual([]);
    expect(logs.withMessage('memory bus closed')).toEqual([
      expect.objectContaining({ level: 'info', undelivered: 1 }),
    ]);
    await expect(
      bus.publish(seedEvent('zapa', ['location-5'])),
    ).rejects.toThrow('MemoryBus is closed');
    await expect(bus.close()).resolves.toBeUndefined();
  });

  it('refuses a second start', async () => {
    const { bus, handler } = setUp();
    await bus.start(handler);
    await expect(bus.start(handler)).rejects.toThrow('already started');
    await bus.close();
  });

  it('logs a handler that throws as an error and keeps delivering', async () => {
    const { bus, logs, received } = setUp();
    await bus.start((event) => {
      if (event.id === 'bad') throw new Error('handler bug');
      received.push(event);
    });
    await bus.publish(seedEvent('zapa', ['location-5'], { id: 'bad' }));
    await bus.publish(seedEvent('zapa', ['location-5'], { id: 'good' }));
    await settle();

    expect(received.map((event) => event.id)).toEqual(['good']);
    const [line] = logs.lines.filter((l) => l.level === 'error');
    expect(line).toMatchObject({
      eventId: 'bad',
      err: { message: 'handler bug' },
    });
    await bus.close();
  });

  it('rejects publishing an event that cannot be encoded', async () => {
    const { bus, handler } = setUp();
    await bus.start(handler);
    const broken = {
      ...seedEvent('zapa', ['location-5']),
      template: { ...seedEvent('zapa', []).template, createdAt: new Date(NaN) },
    };
    await expect(bus.publish(broken)).rejects.toThrow(RangeError);
    await bus.close();
  });

  it('carries a template from its author to the entitled subscribers of a fan-out', async () => {
    const { bus, logs } = setUp();
    const registry = new FanoutRegistry({
      logger: logs.logger,
      queueCapacity: 8,
    });
    await bus.start((event) => registry.dispatch(event));

    const iterators = Object.fromEntries(
      ['zowi', 'zolo', 'zewi', 'zelo', 'zapa', 'zuri'].map((id) => {
        const user = seedUser(id);
        return [
          id,
          registry.subscribe({
            userId: user.id,
            organizationId: user.organizationId,
            locationId: user.locationId,
          }),
        ];
      }),
    );
    await bus.publish(seedEvent('zowi', ['location-3'], { id: 'shared' }));
    await settle();

    const stats = registry.stats();
    expect(stats.queuedEvents).toBe(3);
    for (const id of ['zolo', 'zewi', 'zelo']) {
      const result = await iterators[id]?.next();
      expect(result).toMatchObject({ done: false, value: { id: 'shared' } });
    }
    registry.close();
    for (const id of ['zowi', 'zapa', 'zuri']) {
      await expect(iterators[id]?.next()).resolves.toEqual({
        done: true,
        value: undefined,
      });
    }
    await bus.close();
  });
});
