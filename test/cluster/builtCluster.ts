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
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node <script>` is what `npm start` runs after `npm run build`. */
export interface BuiltCluster {
  readonly script: string;
  /** Removes a build made for the test; keeps the repository's dist/. */
  remove(): void;
}

/**
 * dist/cli/cluster.js as `npm run build` makes it. The repository's dist/
 * is used when it is newer than every source (CI builds before testing);
 * otherwise the sources are compiled into a directory of the test's own,
 * so suites running at the same time never see a half-written dist/.
 */
export async function builtCluster(): Promise<BuiltCluster> {
  const repoScript = path.join(REPO_ROOT, 'dist/cli/cluster.js');
  if (
    existsSync(repoScript) &&
    oldestOutputMillis(path.join(REPO_ROOT, 'dist')) >= newestInputMillis()
  ) {
    return { script: repoScript, remove: () => undefined };
  }

  const root = mkdtempSync(path.join(os.tmpdir(), 'template-feed-cluster-'));
  try {
    await execFileAsync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        path.join(REPO_ROOT, 'tsconfig.build.json'),
        '--outDir',
        path.join(root, 'dist'),
      ],
      { cwd: REPO_ROOT },
    );
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    const { stdout } = err as { stdout?: string };
    throw new Error(`npm run build would fail:\n${stdout ?? String(err)}`);
  }
  // "type": "module" makes dist/ ES modules; dependencies resolve upward.
  copyFileSync(
    path.join(REPO_ROOT, 'package.json'),
    path.join(root, 'package.json'),
  );
  symlinkSync(
    path.join(REPO_ROOT, 'node_modules'),
    path.join(root, 'node_modules'),
  );
  return {
    script: path.join(root, 'dist/cli/cluster.js'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function newestInputMillis(): number {
  const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map(
    (file) => statSync(path.join(REPO_ROOT, file)).mtimeMs,
  );
  return Math.max(...inputs, ...mtimes(path.join(REPO_ROOT, 'src'), '.ts'));
}

function oldestOutputMillis(dist: string): number {
  return Math.min(...mtimes(dist, '.js'));
}

function mtimes(folder: string, extension: string): number[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
}
