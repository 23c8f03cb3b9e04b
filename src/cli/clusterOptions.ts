import { ConfigError } from '../config/ConfigError.js';
import type { BusKind, LogFormat } from '../config/config.js';

/** The emulator's port when PUBSUB_EMULATOR_PORT is unset (gcloud's). */
export const DEFAULT_EMULATOR_PORT = 8085;

/**
 * What `npm start` reads besides the instances' own configuration, which
 * each instance parses for itself from the same environment.
 */
export interface ClusterOptions {
  /** CLUSTER_INSTANCES, default 4. */
  readonly instances: number;
  /** CLUSTER_BASE_PORT, default 3001: instances listen on 3001, 3002, ... */
  readonly basePort: number;
  /** BUS, default pubsub (the emulator, or postgres without the SDK). */
  readonly bus: BusKind;
  /**
   * PUBSUB_EMULATOR_PORT for the emulator the cluster starts. Undefined:
   * 8085, or a free port when 8085 is taken.
   */
  readonly emulatorPort: number | undefined;
  /** LOG_FORMAT, default pretty on a terminal and json otherwise. */
  readonly logFormat: LogFormat;
  /** LOG_LEVEL of the cluster's own lines, default info. */
  readonly logLevel: string;
  /** Colour the output: on a terminal, unless NO_COLOR is set. */
  readonly colors: boolean;
}

/**
 * Parses the cluster's options.
 *
 * @throws ConfigError naming the first variable that is wrong.
 */
export function readClusterOptions(
  env: Readonly<Record<string, string | undefined>>,
  terminal: { readonly stdoutIsTTY: boolean },
): ClusterOptions {
  const instances = wholeNumber(env, 'CLUSTER_INSTANCES', 4, 1, 64);
  const basePort = wholeNumber(env, 'CLUSTER_BASE_PORT', 3001, 1, 65_535);
  if (basePort + instances - 1 > 65_535) {
    throw new ConfigError(
      'CLUSTER_BASE_PORT',
      `leaves no room for ${instances} instances below port 65535`,
    );
  }
  const emulatorPort = has(env, 'PUBSUB_EMULATOR_PORT')
    ? wholeNumber(env, 'PUBSUB_EMULATOR_PORT', DEFAULT_EMULATOR_PORT, 1, 65_535)
    : undefined;
  return {
    instances,
    basePort,
    bus: oneOf(env, 'BUS', ['pubsub', 'postgres', 'memory'], 'pubsub'),
    emulatorPort,
    logFormat: oneOf(
      env,
      'LOG_FORMAT',
      ['json', 'pretty'],
      terminal.stdoutIsTTY ? 'pretty' : 'json',
    ),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    colors: terminal.stdoutIsTTY && !has(env, 'NO_COLOR'),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function has(env: Env, name: string): boolean {
  return (env[name]?.trim() ?? '') !== '';
}

function oneOf<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (!has(env, name)) return fallback;
  const raw = env[name]?.trim().toLowerCase();
  const match = allowed.find((candidate) => candidate === raw);
  if (match === undefined) {
    throw new ConfigError(
      name,
      `must be one of ${allowed.join(', ')} (got "${env[name]}")`,
    );
  }
  return match;
}

function wholeNumber(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (!has(env, name)) return fallback;
  const raw = env[name]?.trim() ?? '';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(
      name,
      `must be a whole number from ${min} to ${max} (got "${raw}")`,
    );
  }
  return value;
}
