import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { repoPath } from './repoPaths.js';

const execFileAsync = promisify(execFile);

/** dist/ as `npm run build` makes it. */
export interface BuiltDist {
  /**
   * The dist folder (main.js, cli/cluster.js, ...), with package.json and
   * node_modules beside it as in the repository, so `node` runs it as ESM.
   */
  readonly directory: string;
  /** Removes a build made for the test; keeps the repository's dist/. */
  remove(): void;
}

/**
 * The repository's dist/ when every file in it is newer than every source
 * (CI builds before testing); otherwise the sources compiled as `npm run
 * build` compiles them into a directory of the caller's own, so suites
 * running at the same time never see a half-written dist/.
 */
export async function builtDist(): Promise<BuiltDist> {
  const repoDist = repoPath('dist');
  if (
    existsSync(repoDist) &&
    oldestOutputMillis(repoDist) >= newestInputMillis()
  ) {
    return { directory: repoDist, remove: () => undefined };
  }

  const root = mkdtempSync(path.join(os.tmpdir(), 'template-feed-dist-'));
  try {
    await execFileAsync(
      process.execPath,
      [
        repoPath('node_modules/typescript/bin/tsc'),
        '-p',
        repoPath('tsconfig.build.json'),
        '--outDir',
        path.join(root, 'dist'),
      ],
      { cwd: repoPath() },
    );
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    const { stdout } = err as { stdout?: string };
    throw new Error(`npm run build would fail:\n${stdout ?? String(err)}`);
  }
  // "type": "module" makes dist/ ES modules; dependencies resolve upward.
  copyFileSync(repoPath('package.json'), path.join(root, 'package.json'));
  symlinkSync(repoPath('node_modules'), path.join(root, 'node_modules'));
  return {
    directory: path.join(root, 'dist'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function newestInputMillis(): number {
  const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map(
    (file) => statSync(repoPath(file)).mtimeMs,
  );
  return Math.max(...configs, ...mtimes(repoPath('src'), '.ts'));
}

/** -Infinity for an empty dist/, which is then never taken as up to date. */
function oldestOutputMillis(dist: string): number {
  const outputs = mtimes(dist, '.js');
  return outputs.length === 0 ? -Infinity : Math.min(...outputs);
}

function mtimes(folder: string, extension: string): number[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
}
