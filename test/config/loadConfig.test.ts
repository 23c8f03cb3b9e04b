import { ConfigError } from '../../src/config/ConfigError.js';
import { DEVELOPMENT_JWT_SECRET, loadConfig } from '../../src/config/config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.bus).toBe('memory');
    expect(config.pubsub.topic).toBe('template-events');
    expect(config.pubsub.subscriptionTtlSeconds).toBe(86_400);
    expect(config.pubsub.createTopic).toBe(true);
    expect(config.database.url).toBeUndefined();
    expect(config.auth.jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
    expect(config.log.level).toBe('info');
    expect(config.maxSubscriptionsPerConnection).toBe(20);
    expect(config.instanceId).toMatch(/-\d+$/);
  });

  it('defaults to the pubsub bus when an emulator or a project is named', () => {
    expect(loadConfig({ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).bus).toBe(
      'pubsub',
    );
    expect(loadConfig({ GOOGLE_CLOUD_PROJECT: 'acme-prod' }).bus).toBe(
      'pubsub',
    );
  });

  it('takes INSTANCE_ID, else POD_NAME, as the instance name', () => {
    expect(
      loadConfig({ INSTANCE_ID: 'pod-a', POD_NAME: 'pod-b' }).instanceId,
    ).toBe('pod-a');
    expect(loadConfig({ POD_NAME: 'pod-b' }).instanceId).toBe('pod-b');
  });

  it('returns a frozen object, nested parts included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.pubsub)).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ BUS: 'kafka' }, 'BUS'],
    [{ BUS: 'pubsub' }, 'GOOGLE_CLOUD_PROJECT'],
    [{ PUBSUB_EMULATOR_HOST: 'localhost' }, 'PUBSUB_EMULATOR_HOST'],
    [{ PUBSUB_TOPIC: 'ab' }, 'PUBSUB_TOPIC'],
    [{ INSTANCE_ID: 'pod a' }, 'INSTANCE_ID'],
    [
      { PUBSUB_SUBSCRIPTION_TTL_SECONDS: '0' },
      'PUBSUB_SUBSCRIPTION_TTL_SECONDS',
    ],
    [{ PUBSUB_CREATE_TOPIC: 'maybe' }, 'PUBSUB_CREATE_TOPIC'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ DRAIN_TIMEOUT_SECONDS: '1.5' }, 'DRAIN_TIMEOUT_SECONDS'],
    [
      { MAX_SUBSCRIPTIONS_PER_CONNECTION: '0' },
      'MAX_SUBSCRIPTIONS_PER_CONNECTION',
    ],
    [{ DRAIN_TIMEOUT_SECONDS: '0' }, 'DRAIN_TIMEOUT_SECONDS'],
    [
      { PUBSUB_SUBSCRIPTION_TTL_SECONDS: '3600' },
      'PUBSUB_SUBSCRIPTION_TTL_SECONDS',
    ],
    [{ GOOGLE_CLOUD_PROJECT: 'bad project!' }, 'GOOGLE_CLOUD_PROJECT'],
    [{ PUBSUB_EMULATOR_HOST: 'localhost:99999' }, 'PUBSUB_EMULATOR_HOST'],
    [{ PUBSUB_TOPIC: 'goog-events' }, 'PUBSUB_TOPIC'],
  ])('rejects %j naming %s', (env, variable) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(variable)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('quotes the refused value, as for LOG_LEVEL', () => {
    expect(configError({ LOG_LEVEL: 'loud' }).message).toBe(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
  });

  describe('in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/feed',
      AUTH_JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
      GOOGLE_CLOUD_PROJECT: 'acme-prod',
    };

    it('accepts a complete configuration and stops creating topics', () => {
      const config = loadConfig(production);
      expect(config.isProduction).toBe(true);
      expect(config.pubsub.createTopic).toBe(false);
    });

    it('refuses the embedded PostgreSQL', () => {
      expect(configError({ ...production, DATABASE_URL: '' }).variable).toBe(
        'DATABASE_URL',
      );
    });

    it('refuses the development secret and a missing one', () => {
      expect(
        configError({ ...production, AUTH_JWT_SECRET: DEVELOPMENT_JWT_SECRET })
          .variable,
      ).toBe('AUTH_JWT_SECRET');
      expect(configError({ ...production, AUTH_JWT_SECRET: '' }).variable).toBe(
        'AUTH_JWT_SECRET',
      );
    });

    it('accepts JWKS verification without a shared secret', () => {
      const config = loadConfig({
        ...production,
        AUTH_JWT_SECRET: '',
        AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
        AUTH_ISSUER: 'https://issuer.example',
        AUTH_AUDIENCE: 'template-feed',
      });
      expect(config.auth.jwtSecret).toBeUndefined();
      expect(config.auth.jwksUrl).toBe(
        'https://issuer.example/.well-known/jwks.json',
      );
      expect(config.auth.issuer).toBe('https://issuer.example');
      expect(config.auth.audience).toBe('template-feed');
    });

    it.each([
      [{ AUTH_JWKS_URL: 'http://issuer.example/jwks' }, 'AUTH_JWKS_URL'],
      [{ AUTH_JWKS_URL: 'ftp://issuer.example/jwks' }, 'AUTH_JWKS_URL'],
      [{ AUTH_ISSUER: '' }, 'AUTH_ISSUER'],
      [{ AUTH_AUDIENCE: ' ' }, 'AUTH_AUDIENCE'],
    ])('refuses JWKS verification with %j, naming %s', (change, variable) => {
      const err = configError({
        ...production,
        AUTH_JWKS_URL: 'https://issuer.example/jwks',
        AUTH_ISSUER: 'https://issuer.example',
        AUTH_AUDIENCE: 'template-feed',
        ...change,
      });
      expect(err.variable).toBe(variable);
      expect(err.message).not.toContain('\n');
    });
  });

  describe('outside production', () => {
    it('accepts an http JWKS URL without issuer or audience', () => {
      const config = loadConfig({
        AUTH_JWKS_URL: 'http://127.0.0.1:5190/jwks',
      });
      expect(config.auth.jwksUrl).toBe('http://127.0.0.1:5190/jwks');
      expect(config.auth.issuer).toBeUndefined();
    });

    it.each(['ftp://x/jwks', 'not a url', 'file:///etc/jwks.json'])(
      'refuses the JWKS URL %s',
      (url) => {
        expect(configError({ AUTH_JWKS_URL: url }).message).toBe(
          'AUTH_JWKS_URL must be an http:// or https:// URL',
        );
      },
    );
  });
});
