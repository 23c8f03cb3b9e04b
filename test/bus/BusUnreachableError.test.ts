import {
  BusUnreachableError,
  pubsubStartError,
} from '../../src/bus/BusUnreachableError.js';
import { ConfigError } from '../../src/config/ConfigError.js';

/** The shape of google-gax's error once its retries ran out. */
const GAX_TIMEOUT = Object.assign(
  new Error(
    'Total timeout of API google.pubsub.v1.Publisher exceeded 10000 ' +
      'milliseconds retrying error Error: 14 UNAVAILABLE: No connection ' +
      'established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. ' +
      'Resolution note: '.padEnd(3_000, 'x'),
  ),
  { code: 4 },
);

describe('pubsubStartError', () => {
  it('names PUBSUB_EMULATOR_HOST and keeps the cause, not the retry history', () => {
    const err = pubsubStartError(
      { emulatorHost: '127.0.0.1:1', projectId: 'template-feed-local' },
      GAX_TIMEOUT,
    );
    expect(err).toBeInstanceOf(BusUnreachableError);
    expect((err as BusUnreachableError).variable).toBe('PUBSUB_EMULATOR_HOST');
    expect(err.message).toBe(
      'PUBSUB_EMULATOR_HOST is 127.0.0.1:1, and no Pub/Sub emulator ' +
        'answered there (start one, or correct the address): ' +
        'DEADLINE_EXCEEDED: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(err.cause).toBe(GAX_TIMEOUT);
  });

  it('names GOOGLE_CLOUD_PROJECT without an emulator, and shortens a long first line', () => {
    const err = pubsubStartError(
      { emulatorHost: undefined, projectId: 'my-project' },
      Object.assign(new Error(`PERMISSION_DENIED ${'y'.repeat(500)}`), {
        code: 7,
      }),
    );
    expect((err as BusUnreachableError).variable).toBe('GOOGLE_CLOUD_PROJECT');
    expect(err.message).toMatch(/^GOOGLE_CLOUD_PROJECT is my-project, /);
    expect(err.message.length).toBeLessThan(300);
    expect(err.message.endsWith('…')).toBe(true);
  });

  it('passes a ConfigError (a missing topic) through as it is', () => {
    const missingTopic = new ConfigError('PUBSUB_TOPIC', 'names no topic');
    expect(
      pubsubStartError(
        { emulatorHost: '127.0.0.1:8085', projectId: 'p' },
        missingTopic,
      ),
    ).toBe(missingTopic);
  });
});
