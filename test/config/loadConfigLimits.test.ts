import { ConfigError } from '../../src/config/ConfigError.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const EMULATOR = { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' };

describe('loadConfig limits', () => {
  describe('DRAIN_TIMEOUT_SECONDS', () => {
    it('refuses 0, which would cut off every shutdown', () => {
      expect(configError({ DRAIN_TIMEOUT_SECONDS: '0' }).message).toBe(
        'DRAIN_TIMEOUT_SECONDS must be a whole number from 1 to 3600 (got "0")',
      );
    });

    it('accepts one second', () => {
      expect(
        loadConfig({ DRAIN_TIMEOUT_SECONDS: '1' }).drainTimeoutSeconds,
      ).toBe(1);
    });
  });

  describe('EMBEDDED_PG_PORT', () => {
    it('defaults to 54329, off the machine PostgreSQL port', () => {
      expect(loadConfig({}).database.embeddedPort).toBe(54_329);
    });

    it('takes another unprivileged port, for a second checkout', () => {
      expect(
        loadConfig({ EMBEDDED_PG_PORT: '54400' }).database.embeddedPort,
      ).toBe(54_400);
    });

    it.each(['80', '65536', 'x'])('refuses %s in one line', (value) => {
      expect(configError({ EMBEDDED_PG_PORT: value }).message).toBe(
        `EMBEDDED_PG_PORT must be a whole number from 1024 to 65535 (got "${value}")`,
      );
    });
  });

  describe('PUBSUB_SUBSCRIPTION_TTL_SECONDS', () => {
    it("refuses less than Pub/Sub's one-day minimum, saying why, in one line", () => {
      const err = configError({
        GOOGLE_CLOUD_PROJECT: 'acme-prod',
        PUBSUB_SUBSCRIPTION_TTL_SECONDS: '86399',
      });
      expect(err.variable).toBe('PUBSUB_SUBSCRIPTION_TTL_SECONDS');
      expect(err.message).toContain('from 86400 to 2678400 (got "86399")');
      expect(err.message).toContain('PUBSUB_EMULATOR_HOST');
      expect(err.message).not.toContain('\n');
    });

    it('accepts one day and 31 days against real Pub/Sub', () => {
      for (const seconds of [86_400, 31 * 86_400]) {
        const config = loadConfig({
          GOOGLE_CLOUD_PROJECT: 'acme-prod',
          PUBSUB_SUBSCRIPTION_TTL_SECONDS: String(seconds),
        });
        expect(config.pubsub.subscriptionTtlSeconds).toBe(seconds);
      }
    });

    it('accepts shorter expirations against the emulator, which tests use', () => {
      const config = loadConfig({
        ...EMULATOR,
        PUBSUB_SUBSCRIPTION_TTL_SECONDS: '7200',
      });
      expect(config.pubsub.subscriptionTtlSeconds).toBe(7_200);
    });

    it('still refuses more than 31 days against the emulator', () => {
      expect(
        configError({
          ...EMULATOR,
          PUBSUB_SUBSCRIPTION_TTL_SECONDS: String(31 * 86_400 + 1),
        }).variable,
      ).toBe('PUBSUB_SUBSCRIPTION_TTL_SECONDS');
    });
  });

  describe('GOOGLE_CLOUD_PROJECT', () => {
    it.each([
      'acme-prod',
      'template-feed-dev',
      'a12345',
      `a${'b'.repeat(29)}`,
      'example.com:my-project',
    ])('accepts the project id %s', (projectId) => {
      expect(
        loadConfig({ GOOGLE_CLOUD_PROJECT: projectId }).pubsub.projectId,
      ).toBe(projectId);
    });

    it.each([
      ['spaces and punctuation', 'bad project!'],
      ['capitals', 'Acme-Prod'],
      ['fewer than 6 characters', 'acme5'],
      ['more than 30 characters', `a${'b'.repeat(30)}`],
      ['a leading digit', '1acme-prod'],
      ['a trailing hyphen', 'acme-prod-'],
      ['underscores', 'acme_prod'],
      ['an empty domain scope', ':acme-prod'],
    ])('refuses %s', (_what, projectId) => {
      const err = configError({ GOOGLE_CLOUD_PROJECT: projectId });
      expect(err.variable).toBe('GOOGLE_CLOUD_PROJECT');
      expect(err.message).not.toContain('\n');
    });
  });

  describe('PUBSUB_EMULATOR_HOST', () => {
    it.each(['localhost:0', 'localhost:65536', 'localhost:99999'])(
      'refuses %s, whose port cannot exist',
      (host) => {
        expect(configError({ PUBSUB_EMULATOR_HOST: host }).message).toBe(
          'PUBSUB_EMULATOR_HOST must be host:port with a port from 1 to 65535',
        );
      },
    );

    it('accepts ports 1 and 65535', () => {
      for (const host of ['localhost:1', 'pubsub-emulator:65535']) {
        expect(
          loadConfig({ PUBSUB_EMULATOR_HOST: host }).pubsub.emulatorHost,
        ).toBe(host);
      }
    });
  });

  describe('PUBSUB_TOPIC', () => {
    it('refuses the goog prefix real Pub/Sub reserves', () => {
      expect(configError({ PUBSUB_TOPIC: 'goog-events' }).variable).toBe(
        'PUBSUB_TOPIC',
      );
      expect(configError({ PUBSUB_TOPIC: 'Google-events' }).variable).toBe(
        'PUBSUB_TOPIC',
      );
    });
  });

  describe('NODE_ENV', () => {
    it.each(['Production', 'PRODUCTION', ' production '])(
      'treats %j as production, so its checks apply',
      (nodeEnv) => {
        expect(configError({ NODE_ENV: nodeEnv }).variable).toBe(
          'DATABASE_URL',
        );
        const config = loadConfig({
          NODE_ENV: nodeEnv,
          DATABASE_URL: 'postgres://db/feed',
          AUTH_JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
        });
        expect(config.isProduction).toBe(true);
        expect(config.nodeEnv).toBe('production');
      },
    );

    it('treats development and test as not production', () => {
      expect(loadConfig({ NODE_ENV: 'Test' }).isProduction).toBe(false);
      expect(loadConfig({ NODE_ENV: 'development' }).isProduction).toBe(false);
      expect(loadConfig({}).nodeEnv).toBe('development');
    });

    it.each(['prod', 'staging', 'produciton'])(
      'refuses %j rather than run without the production checks',
      (nodeEnv) => {
        const err = configError({ NODE_ENV: nodeEnv });
        expect(err.variable).toBe('NODE_ENV');
        expect(err.message).toBe(
          `NODE_ENV must be one of development, test, production (got "${nodeEnv}"); ` +
            'anything but production runs without the production checks',
        );
      },
    );
  });

  describe('CONFIG_VARIABLES', () => {
    it('names every variable the documented configuration table lists', () => {
      expect(CONFIG_VARIABLES).toEqual(
        expect.arrayContaining([
          'PORT',
          'BUS',
          'GOOGLE_CLOUD_PROJECT',
          'PUBSUB_EMULATOR_HOST',
          'PUBSUB_TOPIC',
          'PUBSUB_SUBSCRIPTION_TTL_SECONDS',
          'PUBSUB_CREATE_TOPIC',
          'INSTANCE_ID',
          'DATABASE_URL',
          'AUTH_JWT_SECRET',
          'LOG_LEVEL',
        ]),
      );
      expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
    });

    it('is exactly what loadConfig reads', () => {
      const read = new Set<string>();
      const recorder = new Proxy<Record<string, string | undefined>>(
        {},
        {
          get(_target, name) {
            read.add(String(name));
            return undefined;
          },
        },
      );
      loadConfig(recorder);
      expect(read).toEqual(new Set(CONFIG_VARIABLES));
    });
  });
});
