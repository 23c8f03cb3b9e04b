import { ConfigError } from '../config/ConfigError.js';
import type { BusKind } from '../config/config.js';
import {
  freePort,
  hasPubsubEmulator,
  startPubsubEmulator,
  type RunningEmulator,
} from '../devtools/pubsubEmulator.js';
import type { Logger } from '../logging/createLogger.js';
import {
  DEFAULT_EMULATOR_PORT,
  type ClusterOptions,
} from './clusterOptions.js';
import { isPortFree } from './isPortFree.js';

/** The bus the cluster's instances use, and the emulator started for it. */
export interface ClusterBus {
  readonly bus: BusKind;
  /** PUBSUB_EMULATOR_HOST for the instances, if any. */
  readonly emulatorHost: string | undefined;
  /** The emulator started here, which the cluster must stop. */
  readonly emulator: RunningEmulator | undefined;
}

/**
 * BUS=pubsub means, in order: the emulator PUBSUB_EMULATOR_HOST names; real
 * Pub/Sub when GOOGLE_CLOUD_PROJECT is set; an emulator from the local
 * Google Cloud SDK, started here; and with no SDK, BUS=postgres, which
 * needs nothing but the database. Other buses are used as they are.
 *
 * @throws ConfigError when PUBSUB_EMULATOR_PORT is set and taken.
 */
export async function chooseClusterBus(
  options: Pick<ClusterOptions, 'bus' | 'emulatorPort'>,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<ClusterBus> {
  const { bus } = options;
  const named = env.PUBSUB_EMULATOR_HOST?.trim() || undefined;
  if (bus !== 'pubsub' || named !== undefined) {
    return { bus, emulatorHost: named, emulator: undefined };
  }
  if (env.GOOGLE_CLOUD_PROJECT?.trim()) {
    logger.info(
      { project: env.GOOGLE_CLOUD_PROJECT },
      'using Google Cloud Pub/Sub (GOOGLE_CLOUD_PROJECT is set)',
    );
    return { bus, emulatorHost: undefined, emulator: undefined };
  }
  if (!hasPubsubEmulator()) {
    logger.warn(
      'no Pub/Sub emulator in a local Google Cloud SDK: using BUS=postgres ' +
        '(install google-cloud-cli-pubsub-emulator, or set PUBSUB_EMULATOR_HOST)',
    );
    return { bus: 'postgres', emulatorHost: undefined, emulator: undefined };
  }
  const emulator = await startPubsubEmulator(
    await emulatorPort(options.emulatorPort, logger),
  );
  logger.info({ emulatorHost: emulator.host }, 'pubsub emulator started');
  return { bus, emulatorHost: emulator.host, emulator };
}

/** PUBSUB_EMULATOR_PORT if free; else 8085 if free; else any free port. */
async function emulatorPort(
  chosen: number | undefined,
  logger: Logger,
): Promise<number> {
  const wanted = chosen ?? DEFAULT_EMULATOR_PORT;
  if (await isPortFree(wanted)) return wanted;
  if (chosen !== undefined) {
    throw new ConfigError(
      'PUBSUB_EMULATOR_PORT',
      `is ${chosen}, which is in use: choose another port, or set ` +
        `PUBSUB_EMULATOR_HOST=127.0.0.1:${chosen} if an emulator runs there`,
    );
  }
  const port = await freePort();
  logger.warn(
    { busyPort: wanted, port },
    'port 8085 is in use; the pubsub emulator listens on another port',
  );
  return port;
}
