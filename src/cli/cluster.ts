/**
 * `npm start`: a local cluster like the original article's four pm2
 * instances, on one machine with nothing else installed.
 *
 * One PostgreSQL (DATABASE_URL, else the embedded one under .data/), the
 * Pub/Sub emulator from the local Google Cloud SDK (unless
 * PUBSUB_EMULATOR_HOST names a running one; BUS=postgres without an SDK),
 * and CLUSTER_INSTANCES instances of `node dist/main.js` on ports
 * CLUSTER_BASE_PORT and up, each with its own INSTANCE_ID and so its own
 * Pub/Sub subscription. Every line is prefixed with the instance it came
 * from. Ctrl-C stops everything, each instance deleting its subscription on
 * the way out; a second Ctrl-C kills the instances.
 *
 * Run from src/ through tsx, it starts src/main.ts through tsx too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConfigError } from '../config/ConfigError.js';
import { createLogger } from '../logging/createLogger.js';
import { ClusterOutput } from './ClusterOutput.js';
import { readClusterOptions } from './clusterOptions.js';
import { ClusterExitCode, LocalCluster } from './LocalCluster.js';

const here = fileURLToPath(import.meta.url);
const mainArgs = here.endsWith('.ts')
  ? ['--import', 'tsx', path.join(path.dirname(here), '../main.ts')]
  : [path.join(path.dirname(here), '../main.js')];

let options;
try {
  options = readClusterOptions(process.env, {
    stdoutIsTTY: process.stdout.isTTY === true,
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(ClusterExitCode.FAILED);
}

const output = new ClusterOutput({
  format: options.logFormat,
  colors: options.colors,
  sources: [
    'cluster',
    ...Array.from(
      { length: options.instances },
      (_, index) => `instance-${index + 1}`,
    ),
  ],
});
const logger = createLogger(
  { instanceId: 'cluster', log: { level: options.logLevel, format: 'json' } },
  output.destination('cluster'),
);
const cluster = new LocalCluster({
  options,
  env: process.env,
  mainArgs,
  logger,
  output,
});

// Ctrl-C once: stop in order. Twice: kill the instances. Three times: go.
// A closed terminal (SIGHUP) stops it too; the instances, in sessions of
// their own, never see the terminal's signals.
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    signals += 1;
    if (signals === 1) cluster.stop(signal);
    else if (signals === 2) cluster.kill(signal);
    else process.exit(ClusterExitCode.INTERRUPTED);
  });
}
process.on('exit', () => cluster.killNow());
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'cluster crashed');
  process.exit(ClusterExitCode.FAILED);
});

process.exit(await cluster.run());
