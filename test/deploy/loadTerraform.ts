import { readdirSync, readFileSync } from 'node:fs';

import { parse } from '@cdktf/hcl2json';

import { repoPath } from '../support/repoPaths.js';

/** One HCL block as @cdktf/hcl2json renders it: attributes and sub-blocks. */
export type Block = Record<string, unknown>;

/** The parts of terraform/ the tests look at, merged across its files. */
export interface TerraformModule {
  readonly files: readonly string[];
  /** `type.name` -> the resource block. */
  readonly resources: ReadonlyMap<string, Block>;
  readonly variables: ReadonlyMap<string, Block>;
  readonly outputs: ReadonlyMap<string, Block>;
  /** The `terraform { ... }` blocks (required_providers and so on). */
  readonly settings: readonly Block[];
}

/** Parses every terraform/*.tf file with HashiCorp's own HCL parser. */
export async function loadTerraform(): Promise<TerraformModule> {
  const files = readdirSync(repoPath('terraform'))
    .filter((file) => file.endsWith('.tf'))
    .sort();
  const resources = new Map<string, Block>();
  const variables = new Map<string, Block>();
  const outputs = new Map<string, Block>();
  const settings: Block[] = [];

  for (const file of files) {
    const parsed = (await parse(
      file,
      readFileSync(repoPath('terraform', file), 'utf8'),
    )) as {
      resource?: Record<string, Record<string, Block[]>>;
      variable?: Record<string, Block[]>;
      output?: Record<string, Block[]>;
      terraform?: Block[];
    };
    for (const [type, byName] of Object.entries(parsed.resource ?? {})) {
      for (const [name, blocks] of Object.entries(byName)) {
        addOnce(resources, `${type}.${name}`, blocks, file);
      }
    }
    for (const [name, blocks] of Object.entries(parsed.variable ?? {})) {
      addOnce(variables, name, blocks, file);
    }
    for (const [name, blocks] of Object.entries(parsed.output ?? {})) {
      addOnce(outputs, name, blocks, file);
    }
    settings.push(...(parsed.terraform ?? []));
  }
  return { files, resources, variables, outputs, settings };
}

function addOnce(
  into: Map<string, Block>,
  key: string,
  blocks: Block[],
  file: string,
): void {
  if (into.has(key) || blocks.length !== 1 || blocks[0] === undefined) {
    throw new Error(`${key} is declared more than once (${file})`);
  }
  into.set(key, blocks[0]);
}

/** The resource `type.name`; fails the test when it is not declared. */
export function resource(module: TerraformModule, address: string): Block {
  const block = module.resources.get(address);
  if (block === undefined) throw new Error(`no resource ${address}`);
  return block;
}

/** Resources of one type, by name. */
export function resourcesOfType(
  module: TerraformModule,
  type: string,
): Map<string, Block> {
  const found = new Map<string, Block>();
  for (const [address, block] of module.resources) {
    if (address.startsWith(`${type}.`)) {
      found.set(address.slice(type.length + 1), block);
    }
  }
  return found;
}

/** A variable's default value; fails the test when it has none. */
export function variableDefault(
  module: TerraformModule,
  name: string,
): unknown {
  const variable = module.variables.get(name);
  if (variable === undefined || !('default' in variable)) {
    throw new Error(`variable ${name} has no default`);
  }
  return variable.default;
}

/**
 * Replaces `${var.NAME}` in an attribute's string with that variable's
 * default (and `${var.project_id}`, which has none, with `projectId`), so an
 * expression can be compared with what the manifests hard-code.
 */
export function resolveVariables(
  module: TerraformModule,
  expression: string,
  projectId = 'PROJECT_ID',
): string {
  return expression.replace(/\$\{var\.([a-z0-9_]+)\}/g, (_, name: string) =>
    name === 'project_id' ? projectId : String(variableDefault(module, name)),
  );
}

/** The first sub-block named `name` of a block (HCL blocks parse as lists). */
export function subBlock(block: Block, name: string): Block {
  const value = block[name];
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`no ${name} block`);
  }
  return value[0] as Block;
}
