import os from 'node:os';

import { z } from 'zod';

import { ConfigError } from './ConfigError.js';

/** Which event bus carries template events between instances. */
export type BusKind = 'pubsub' | 'postgres' | 'memory';

/** How log lines are written: JSON for Cloud Logging, or pretty for people. */
export type LogFormat = 'json' | 'pretty';

/**
 * Everything the service reads from its environment, parsed once at start-up.
 * Names match ../shared/DESIGN.md; the README's configuration table lists them.
 */
export interface Config {
  readonly nodeEnv: string;
  readonly isProduction: boolean;
  /** HTTP and WebSocket port. */
  readonly port: number;
  readonly bus: BusKind;
  /** This instance's name; part of its Pub/Sub subscription name. */
  readonly instanceId: string;
  readonly pubsub: {
    /** Undefined only when the emulator is used without a project. */
    readonly projectId: string | undefined;
    readonly emulatorHost: string | undefined;
    readonly topic: string;
    readonly subscriptionTtlSeconds: number;
    readonly createTopic: boolean;
  };
  readonly database: {
    /** Undefined: start an embedded PostgreSQL under `embeddedDataDir`. */
    readonly url: string | undefined;
    readonly embeddedDataDir: string;
    /** The loopback port the embedded PostgreSQL listens on. */
    readonly embeddedPort: number;
    readonly poolSize: number;
  };
  readonly auth: {
    /** HS256 secret; undefined when only JWKS verification is configured. */
    readonly jwtSecret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly log: {
    readonly level: string;
    readonly format: LogFormat;
  };
  /** Time SIGTERM allows for draining before the process exits anyway. */
  readonly drainTimeoutSeconds: number;
  /** Events a slow subscriber may have waiting before it is cut off. */
  readonly subscriberQueueCapacity: number;
  /** Subscriptions one WebSocket connection may run at once. */
  readonly maxSubscriptionsPerConnection: number;
}

/**
 * The development HS256 secret. Anyone can read it here, which is why
 * production refuses to start with it.
 */
export const DEVELOPMENT_JWT_SECRET =
  'template-feed-development-secret-do-not-use';

/**
 * Where the embedded PostgreSQL listens unless EMBEDDED_PG_PORT says
 * otherwise: off PostgreSQL's usual 5432, so it never meets the machine's own.
 */
export const EMBEDDED_PG_DEFAULT_PORT = 54_329;

/** What NODE_ENV may be; only production turns the production checks on. */
const NODE_ENVS = ['development', 'test', 'production'];

const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Every environment variable loadConfig reads. The deploy tests check the
 * Kubernetes manifests against it, and loadConfig can read no other name
 * (its `env` is typed by this list).
 */
export const CONFIG_VARIABLES = [
  'NODE_ENV',
  'PORT',
  'BUS',
  'GOOGLE_CLOUD_PROJECT',
  'PUBSUB_EMULATOR_HOST',
  'PUBSUB_TOPIC',
  'PUBSUB_SUBSCRIPTION_TTL_SECONDS',
  'PUBSUB_CREATE_TOPIC',
  'INSTANCE_ID',
  'POD_NAME',
  'DATABASE_URL',
  'EMBEDDED_PG_DIR',
  'EMBEDDED_PG_PORT',
  'DATABASE_POOL_SIZE',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'DRAIN_TIMEOUT_SECONDS',
  'SUBSCRIBER_QUEUE_CAPACITY',
  'MAX_SUBSCRIPTIONS_PER_CONNECTION',
] as const;

/** The name of a variable loadConfig reads. */
export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

// Pub/Sub resource names: 3-255 characters, start with a letter, and only
// letters, digits and - _ . ~ + %. The emulator enforces the same; real
// Pub/Sub also reserves names starting with "goog".
const PUBSUB_NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

// A project id: 6-30 lowercase letters, digits and hyphens, starting with a
// letter and not ending with a hyphen; older projects may carry a domain
// prefix ("example.com:my-project").
const PROJECT_ID =
  /^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]\.[a-z]{2,}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

// Real Pub/Sub refuses a subscription expiration policy under one day; the
// emulator accepts shorter ones, which tests rely on.
const PUBSUB_MIN_TTL_SECONDS = 86_400;
const PUBSUB_MAX_TTL_SECONDS = 31 * 86_400;

type Env = Readonly<Partial<Record<ConfigVariable, string>>>;

/**
 * Parses the environment into a frozen Config.
 *
 * @throws ConfigError naming the first variable that is wrong.
 */
export function loadConfig(
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const env: Env = environment;
  // "Production" and "PRODUCTION" mean production too, and anything that is
  // not one of the three is refused: a misspelt "prod" must not quietly
  // switch off the production checks.
  const nodeEnv = (nonEmpty(env.NODE_ENV) ?? 'development').toLowerCase();
  if (!NODE_ENVS.includes(nodeEnv)) {
    throw new ConfigError(
      'NODE_ENV',
      `must be one of ${NODE_ENVS.join(', ')} (got "${env.NODE_ENV}"); ` +
        'anything but production runs without the production checks',
    );
  }
  const isProduction = nodeEnv === 'production';

  const pubsubProjectId = nonEmpty(env.GOOGLE_CLOUD_PROJECT);
  if (pubsubProjectId !== undefined && !PROJECT_ID.test(pubsubProjectId)) {
    throw new ConfigError(
      'GOOGLE_CLOUD_PROJECT',
      'must be a project id: 6 to 30 lowercase letters, digits and hyphens, starting with a letter',
    );
  }
  const emulatorHost = nonEmpty(env.PUBSUB_EMULATOR_HOST);
  const bus = parseBus(env.BUS, pubsubProjectId ?? emulatorHost);
  if (emulatorHost !== undefined && !isHostAndPort(emulatorHost)) {
    throw new ConfigError(
      'PUBSUB_EMULATOR_HOST',
      'must be host:port with a port from 1 to 65535',
    );
  }
  if (bus === 'pubsub' && pubsubProjectId === undefined && !emulatorHost) {
    throw new ConfigError(
      'GOOGLE_CLOUD_PROJECT',
      'is required when BUS=pubsub and PUBSUB_EMULATOR_HOST is unset',
    );
  }

  const instanceId =
    nonEmpty(env.INSTANCE_ID) ??
    nonEmpty(env.POD_NAME) ??
    `${os.hostname()}-${process.pid}`;
  const topic = nonEmpty(env.PUBSUB_TOPIC) ?? 'template-events';
  if (!PUBSUB_NAME.test(topic) || /^goog/i.test(topic)) {
    throw new ConfigError(
      'PUBSUB_TOPIC',
      'is not a valid Pub/Sub topic name (3-255 letters, digits, ' +
        '- _ . ~ + %, starting with a letter, not with "goog")',
    );
  }
  if (!PUBSUB_NAME.test(`${topic}-${instanceId}`)) {
    throw new ConfigError(
      'INSTANCE_ID',
      'must make a valid Pub/Sub subscription name (letters, digits, - _ . ~ + %)',
    );
  }

  const databaseUrl = nonEmpty(env.DATABASE_URL);
  if (databaseUrl === undefined && isProduction) {
    throw new ConfigError(
      'DATABASE_URL',
      'is required when NODE_ENV=production (the embedded PostgreSQL is for development)',
    );
  }
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  }

  const jwksUrl = nonEmpty(env.AUTH_JWKS_URL);
  const issuer = nonEmpty(env.AUTH_ISSUER);
  const audience = nonEmpty(env.AUTH_AUDIENCE);
  if (jwksUrl !== undefined) {
    checkJwksSettings(jwksUrl, issuer, audience, isProduction);
  }
  let jwtSecret = nonEmpty(env.AUTH_JWT_SECRET);
  if (isProduction && jwtSecret === DEVELOPMENT_JWT_SECRET) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'is the public development secret, refused when NODE_ENV=production',
    );
  }
  if (jwtSecret === undefined && jwksUrl === undefined) {
    if (isProduction) {
      throw new ConfigError(
        'AUTH_JWT_SECRET',
        'or AUTH_JWKS_URL is required when NODE_ENV=production',
      );
    }
    jwtSecret = DEVELOPMENT_JWT_SECRET;
  }
  if (jwtSecret !== undefined && isProduction && jwtSecret.length < 32) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'must be at least 32 characters when NODE_ENV=production',
    );
  }

  const level = (nonEmpty(env.LOG_LEVEL) ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`,
    );
  }
  const format = parseEnum(
    env.LOG_FORMAT,
    'LOG_FORMAT',
    ['json', 'pretty'],
    'json',
  );

  const config: Config = {
    nodeEnv,
    isProduction,
    port: parseInteger(env.PORT, 'PORT', 4000, 0, 65_535),
    bus,
    instanceId,
    pubsub: {
      projectId:
        pubsubProjectId ?? (emulatorHost ? 'template-feed-local' : undefined),
      emulatorHost,
      topic,
      subscriptionTtlSeconds: parseInteger(
        env.PUBSUB_SUBSCRIPTION_TTL_SECONDS,
        'PUBSUB_SUBSCRIPTION_TTL_SECONDS',
        PUBSUB_MIN_TTL_SECONDS,
        emulatorHost === undefined ? PUBSUB_MIN_TTL_SECONDS : 1,
        PUBSUB_MAX_TTL_SECONDS,
        emulatorHost === undefined
          ? "Pub/Sub's minimum is one day; only the emulator (PUBSUB_EMULATOR_HOST) accepts less"
          : undefined,
      ),
      createTopic: parseBoolean(
        env.PUBSUB_CREATE_TOPIC,
        'PUBSUB_CREATE_TOPIC',
        !isProduction,
      ),
    },
    database: {
      url: databaseUrl,
      embeddedDataDir: nonEmpty(env.EMBEDDED_PG_DIR) ?? '.data/postgres',
      // Unprivileged ports only: the server runs as an ordinary account.
      embeddedPort: parseInteger(
        env.EMBEDDED_PG_PORT,
        'EMBEDDED_PG_PORT',
        EMBEDDED_PG_DEFAULT_PORT,
        1_024,
        65_535,
      ),
      poolSize: parseInteger(
        env.DATABASE_POOL_SIZE,
        'DATABASE_POOL_SIZE',
        10,
        1,
        100,
      ),
    },
    auth: {
      jwtSecret,
      jwksUrl,
      issuer,
      audience,
    },
    log: { level, format },
    // At least a second: with none, every shutdown is cut off before the
    // bus can delete this instance's subscription.
    drainTimeoutSeconds: parseInteger(
      env.DRAIN_TIMEOUT_SECONDS,
      'DRAIN_TIMEOUT_SECONDS',
      20,
      1,
      3_600,
    ),
    subscriberQueueCapacity: parseInteger(
      env.SUBSCRIBER_QUEUE_CAPACITY,
      'SUBSCRIBER_QUEUE_CAPACITY',
      256,
      1,
      100_000,
    ),
    maxSubscriptionsPerConnection: parseInteger(
      env.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      'MAX_SUBSCRIPTIONS_PER_CONNECTION',
      20,
      1,
      1_000,
    ),
  };
  return deepFreeze(config);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function parseBus(
  value: string | undefined,
  pubsubHint: string | undefined,
): BusKind {
  const fallback: BusKind = pubsubHint === undefined ? 'memory' : 'pubsub';
  return parseEnum(value, 'BUS', ['pubsub', 'postgres', 'memory'], fallback);
}

function parseEnum<T extends string>(
  value: string | undefined,
  name: ConfigVariable,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = nonEmpty(value);
  if (raw === undefined) return fallback;
  const match = allowed.find((candidate) => candidate === raw.toLowerCase());
  if (match === undefined) {
    throw new ConfigError(
      name,
      `must be one of ${allowed.join(', ')} (got "${raw}")`,
    );
  }
  return match;
}

function parseInteger(
  value: string | undefined,
  name: ConfigVariable,
  fallback: number,
  min: number,
  max: number,
  /** Appended to the error, after the value: why the range is what it is. */
  why?: string,
): number {
  const raw = nonEmpty(value);
  if (raw === undefined) return fallback;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!/^\d+$/.test(raw) || !parsed.success) {
    throw new ConfigError(
      name,
      `must be a whole number from ${min} to ${max} (got "${raw}")` +
        (why === undefined ? '' : `; ${why}`),
    );
  }
  return parsed.data;
}

/**
 * An identity provider's key set signs tokens for all of its clients, so in
 * production a token is only ours if its issuer and audience say so; and
 * keys fetched over plain HTTP could be swapped on the way.
 */
function checkJwksSettings(
  jwksUrl: string,
  issuer: string | undefined,
  audience: string | undefined,
  isProduction: boolean,
): void {
  const protocol = URL.canParse(jwksUrl) ? new URL(jwksUrl).protocol : '';
  if (protocol !== 'https:' && (isProduction || protocol !== 'http:')) {
    throw new ConfigError(
      'AUTH_JWKS_URL',
      isProduction
        ? 'must be an https:// URL when NODE_ENV=production'
        : 'must be an http:// or https:// URL',
    );
  }
  if (!isProduction) return;
  if (issuer === undefined) {
    throw new ConfigError(
      'AUTH_ISSUER',
      'is required with AUTH_JWKS_URL when NODE_ENV=production (the issuer tokens must name)',
    );
  }
  if (audience === undefined) {
    throw new ConfigError(
      'AUTH_AUDIENCE',
      'is required with AUTH_JWKS_URL when NODE_ENV=production (the audience tokens must name)',
    );
  }
}

function isHostAndPort(value: string): boolean {
  const match = /^[^\s:]+:(\d{1,5})$/.exec(value);
  const port = Number(match?.[1]);
  return port >= 1 && port <= 65_535;
}

function parseBoolean(
  value: string | undefined,
  name: ConfigVariable,
  fallback: boolean,
): boolean {
  const raw = nonEmpty(value)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null)
      deepFreeze(child as object);
  }
  return Object.freeze(value);
}
