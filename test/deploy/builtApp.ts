import {
  chmodSync,
  cpSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
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
 * directory with package.json and node_modules as the image's deps stage
 * leaves it (see linkImageNodeModules), then takes away every write
 * permission, as the container's read-only root file system does.
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
  linkImageNodeModules(path.join(directory, 'node_modules'));

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

/**
 * The node_modules paths the Dockerfile's deps stage deletes after `npm
 * ci --omit=dev` (its `rm -rf node_modules/...`), read from the Dockerfile
 * itself so this test cannot drift from the image.
 */
export function pathsTheImageRemoves(): string[] {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const deps = /^FROM \S+ AS deps$([\s\S]*?)^FROM /im.exec(dockerfile)?.[1];
  if (deps === undefined) throw new Error('Dockerfile has no deps stage');
  const removed: string[] = [];
  for (const command of deps.replace(/\\\n/g, ' ').split(/&&|\n/)) {
    const words = command.trim().split(/\s+/);
    if (words[0] !== 'rm') continue;
    removed.push(...words.filter((word) => word.startsWith('node_modules/')));
  }
  return removed;
}

/**
 * node_modules as the image has it: a folder of links to the repository's
 * packages, less the dev-only ones (`npm ci --omit=dev`, by
 * package-lock.json's `dev` flag) and less what the deps stage deletes. The
 * links resolve to the repository's copies, so a package's own imports
 * still find everything; what this proves is that dist/ itself imports
 * nothing the image lacks.
 */
function linkImageNodeModules(target: string): void {
  const lock = JSON.parse(
    readFileSync(repoPath('package-lock.json'), 'utf8'),
  ) as { packages: Record<string, { dev?: boolean }> };
  const removed = new Set(pathsTheImageRemoves());
  const keep = (relative: string): boolean =>
    !removed.has(relative) && lock.packages[relative]?.dev !== true;

  mkdirSync(target);
  for (const entry of readdirSync(repoPath('node_modules'))) {
    const relative = `node_modules/${entry}`;
    if (!keep(relative)) continue;
    if (!entry.startsWith('@')) {
      symlinkSync(repoPath(relative), path.join(target, entry));
      continue;
    }
    // A scope: link its packages one by one.
    mkdirSync(path.join(target, entry));
    for (const name of readdirSync(repoPath(relative))) {
      if (keep(`${relative}/${name}`)) {
        symlinkSync(repoPath(relative, name), path.join(target, entry, name));
      }
    }
  }
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
