import { CONFIG_VARIABLES } from '../../src/config/config.js';

/**
 * The environment variables src/config/config.ts reads: its exported
 * CONFIG_VARIABLES, which also types what loadConfig may read, so the list
 * cannot fall behind the code. Fails loudly if it stops naming PORT and
 * DATABASE_URL, so the manifest checks cannot pass vacuously.
 */
export function configVariableNames(): ReadonlySet<string> {
  const names = new Set<string>(CONFIG_VARIABLES);
  if (!names.has('PORT') || !names.has('DATABASE_URL')) {
    throw new Error(
      'CONFIG_VARIABLES in src/config/config.ts no longer names PORT and DATABASE_URL',
    );
  }
  return names;
}
