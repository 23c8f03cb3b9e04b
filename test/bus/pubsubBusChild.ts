// A pod in a process of its own, for the test that SIGKILLs one: it starts a
// PubSubBus from the environment, says "attached" on stdout and waits.
import { PubSubBus } from '../../src/bus/PubSubBus.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/createLogger.js';

const config = loadConfig(process.env);
const logger = createLogger(config, process.stderr);
const bus = new PubSubBus({ config, logger });
await bus.start(() => undefined);
process.stdout.write('attached\n');
setInterval(() => undefined, 60_000);
