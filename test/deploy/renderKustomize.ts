import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

import { repoPath } from '../support/repoPaths.js';

const execFileAsync = promisify(execFile);

/** The fields every rendered Kubernetes object has. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/**
 * Renders a kustomization (a folder relative to the repository) with the
 * kubectl on PATH, exactly as `kubectl apply -k` and Skaffold would.
 */
export async function renderKustomize(
  folder: string,
): Promise<RenderedObject[]> {
  const { stdout } = await execFileAsync(
    'kubectl',
    ['kustomize', repoPath(folder)],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout).map((document) => {
    const [error] = document.errors;
    if (error !== undefined) throw error;
    return unfoldSecretData(document.toJS() as RenderedObject);
  });
}

/**
 * kustomize folds a long base64 value over several lines. The API server's
 * decoder skips the line breaks; the schema's "byte" format does not, so
 * join them again before validating.
 */
function unfoldSecretData(object: RenderedObject): RenderedObject {
  if (object.kind !== 'Secret' || typeof object.data !== 'object') {
    return object;
  }
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(
      ([key, value]) => [key, value.replace(/\s+/g, '')],
    ),
  );
  return { ...object, data };
}

/** The decoded values of a rendered Secret's data. */
export function secretValues(secret: RenderedObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries((secret.data ?? {}) as Record<string, string>).map(
      ([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')],
    ),
  );
}

/** The one object of this kind and name; fails the test when absent. */
export function findObject<T = RenderedObject>(
  objects: readonly RenderedObject[],
  kind: string,
  name: string,
): T {
  const found = objects.filter(
    (object) => object.kind === kind && object.metadata.name === name,
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  }
  return found[0] as T;
}

/** Every object of this kind. */
export function objectsOfKind<T = RenderedObject>(
  objects: readonly RenderedObject[],
  kind: string,
): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}
