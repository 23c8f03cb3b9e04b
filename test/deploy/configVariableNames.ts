import { readFileSync } from 'node:fs';

import { repoPath } from '../support/repoPaths.js';

/**
 * The environment variables src/config/config.ts reads, found by parsing
 * its `env.NAME` references. Fails loudly if the file stops reading
 * variables that way, so a refactor cannot make the manifest checks pass
 * vacuously.
 */
export function configVariableNames(): ReadonlySet<string> {
  const source = readFileSync(repoPath('src/config/config.ts'), 'utf8');
  const names = new Set<string>();
  for (const match of source.matchAll(
    /\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g,
  )) {
    const name = match[1] ?? match[2];
    if (name !== undefined) names.add(name);
  }
  if (!names.has('PORT') || !names.has('DATABASE_URL')) {
    throw new Error(
      'src/config/config.ts no longer reads env.PORT and env.DATABASE_URL; update test/deploy/configVariableNames.ts',
    );
  }
  return names;
}
