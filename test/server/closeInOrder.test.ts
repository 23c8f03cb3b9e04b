import { closeInOrder } from '../../src/server/closeInOrder.js';
import { captureLogs } from '../support/captureLogs.js';

describe('closeInOrder', () => {
  it('closes every component in the order given', async () => {
    const { logger } = captureLogs('info');
    const closed: string[] = [];
    const component = (name: string) => ({
      name,
      close: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        closed.push(name);
      },
    });
    const outcome = await closeInOrder(
      [component('server'), component('bus'), component('store')],
      { timeoutMillis: 5_000, logger },
    );
    expect(outcome).toBe('clean');
    expect(closed).toEqual(['server', 'bus', 'store']);
  });

  it('still closes the rest when one throws, and reports failure', async () => {
    const { logger, lines } = captureLogs('info');
    const closed: string[] = [];
    const outcome = await closeInOrder(
      [
        {
          name: 'bus',
          close: () => Promise.reject(new Error('subscription delete failed')),
        },
        { name: 'store', close: () => void closed.push('store') },
      ],
      { timeoutMillis: 5_000, logger },
    );
    expect(outcome).toBe('failed');
    expect(closed).toEqual(['store']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'closing failed',
        component: 'bus',
        err: expect.objectContaining({
          message: 'subscription delete failed',
        }) as unknown,
      }),
    ]);
  });

  it('abandons a component past its own time limit and still closes the next', async () => {
    const { logger, lines } = captureLogs('info');
    const closed: string[] = [];
    const outcome = await closeInOrder(
      [
        {
          name: 'outbox relay',
          // A round stuck on a stalled database: never settles.
          close: () => new Promise<void>(() => undefined),
          timeoutMillis: 50,
        },
        { name: 'bus', close: () => void closed.push('bus') },
      ],
      { timeoutMillis: 5_000, logger },
    );
    expect(outcome).toBe('failed');
    expect(closed).toEqual(['bus']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'closing took too long; abandoned, the next one closes',
        component: 'outbox relay',
        timeoutMillis: 50,
      }),
    ]);
  });

  it('gives up when the budget runs out, naming what hung', async () => {
    const { logger, lines } = captureLogs('info');
    const closed: string[] = [];
    const outcome = await closeInOrder(
      [
        { name: 'server', close: () => void closed.push('server') },
        { name: 'bus', close: () => new Promise<void>(() => undefined) },
        { name: 'store', close: () => void closed.push('store') },
      ],
      { timeoutMillis: 50, logger },
    );
    expect(outcome).toBe('timed-out');
    expect(closed).toEqual(['server']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'shutdown did not finish in time',
        component: 'bus',
        timeoutMillis: 50,
      }),
    ]);
  });
});
