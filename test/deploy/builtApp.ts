import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
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

/** The files the image's runtime stage holds, laid out the same way. */
export interface ReadOnlyApp {
  /** The working directory: dist/, package.json, node_modules. */
  readonly directory: string;
  /** A node binary the container's uid 1000 may execute. */
  readonly nodeBinary: string;
  /** Every path under `directory` (not following node_modules). */
  listFiles(): string[];
  remove(): void;
}

/**
 * The newest modification time of the inputs `npm run build` compiles, so
 * an up-to-date dist/ (CI builds before testing) can be reused.
 */
function newestBuildInputMillis(): number {
  const inputs = [
    repoPath('tsconfig.json'),
    repoPath('tsconfig.build.json'),
    repoPath('package.json'),
  ];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) inputs.push(full);
    }
  };
  walk(repoPath('src'));
  return Math.max(...inputs.map((file) => statSync(file).mtimeMs));
}

/**
 * Builds the app as `npm run build` does (reusing dist/ when it is newer
 * than every source) into a fresh directory with package.json and a link to
 * node_modules, then takes away every write permission, as the container's
 * read-only root file system does.
 */
export async function buildReadOnlyApp(): Promise<ReadOnlyApp> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'template-feed-app-'));
  const directory = path.join(root, 'app');
  mkdirSync(directory);

  const repoMain = repoPath('dist/main.js');
  if (
    existsSync(repoMain) &&
    statSync(repoMain).mtimeMs >= newestBuildInputMillis()
  ) {
    cpSync(repoPath('dist'), path.join(directory, 'dist'), {
      recursive: true,
    });
  } else {
    try {
      await execFileAsync(
        process.execPath,
        [
          repoPath('node_modules/typescript/bin/tsc'),
          '-p',
          repoPath('tsconfig.build.json'),
          '--outDir',
          path.join(directory, 'dist'),
        ],
        { cwd: repoPath() },
      );
    } catch (err) {
      const { stdout } = err as { stdout?: string };
      throw new Error(`npm run build would fail:\n${stdout ?? String(err)}`);
    }
  }
  cpSync(repoPath('package.json'), path.join(directory, 'package.json'));
  symlinkSync(repoPath('node_modules'), path.join(directory, 'node_modules'));

  // The machine's node may sit under a home directory uid 1000 cannot
  // enter; a hard link (a copy across file systems) puts it within reach.
  const nodeBinary = path.join(root, 'node');
  try {
    linkSync(process.execPath, nodeBinary);
  } catch {
    cpSync(process.execPath, nodeBinary);
  }

  makeReadOnly(directory);
  chmodSync(root, 0o555);

  const listFiles = (): string[] => {
    const found: string[] = [];
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        found.push(path.relative(directory, full));
        if (entry.isDirectory()) walk(full);
      }
    };
    walk(directory);
    return found.sort();
  };

  return {
    directory,
    nodeBinary,
    listFiles,
    remove: () => {
      chmodSync(root, 0o755);
      makeWritable(directory);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** r-x for directories, r-- for files, for everyone; links untouched. */
function makeReadOnly(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) makeReadOnly(full);
    else if (entry.isFile()) chmodSync(full, 0o444);
  }
  chmodSync(folder, 0o555);
}

function makeWritable(folder: string): void {
  chmodSync(folder, 0o755);
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else if (entry.isFile()) chmodSync(full, 0o644);
  }
}
