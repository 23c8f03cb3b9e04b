import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, whatever directory jest was started from. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** An absolute path to a file or folder given relative to the repository. */
export function repoPath(...segments: string[]): string {
  return path.join(REPO_ROOT, ...segments);
}
