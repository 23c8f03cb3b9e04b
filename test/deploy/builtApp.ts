import {
  chmodSync,
  cpSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { builtDist } from '../support/builtDist.js';
import { repoPath } from '../support/repoPaths.js';

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
 * Copies dist/ as `npm run build` makes it (see builtDist) into a fresh
 * directory with package.json and a link to node_modules, then takes away
 * every write permission, as the container's read-only root file system
 * does.
 */
export async function buildReadOnlyApp(): Promise<ReadOnlyApp> {
  const built = await builtDist();
  const root = mkdtempSync(path.join(os.tmpdir(), 'template-feed-app-'));
  const directory = path.join(root, 'app');
  mkdirSync(directory);
  try {
    cpSync(built.directory, path.join(directory, 'dist'), { recursive: true });
  } finally {
    built.remove();
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
