import { readFileSync } from 'node:fs';

import { repoPath } from '../support/repoPaths.js';
import {
  loadTerraform,
  resource,
  type Block,
  type TerraformModule,
} from './loadTerraform.js';

let terraform: TerraformModule;

beforeAll(async () => {
  terraform = await loadTerraform();
});

const DEPLOYER = 'google_service_account.deployer';
const DEPLOYER_MEMBER = `serviceAccount:\${${DEPLOYER}.email}`;

/**
 * Every `gcloud builds submit` and `gcloud builds triggers create` command
 * written out in a file (cloudbuild.yaml's comments included), its
 * backslash-continued lines joined.
 */
function buildCommands(file: string): string[] {
  const lines = readFileSync(repoPath(file), 'utf8')
    .split('\n')
    .map((line) => line.replace(/^#\s?/, ''));
  const commands: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (!/^\s*gcloud builds (submit|triggers create)\b/.test(line)) continue;
    const parts = [line];
    for (let next = index + 1; parts.at(-1)?.endsWith('\\'); next += 1) {
      parts.push(lines[next] ?? '');
    }
    commands.push(
      parts.map((part) => part.replace(/\\$/, '').trim()).join(' '),
    );
  }
  return commands;
}

/** The value of `--flag="$(terraform ... output -raw NAME)"`, as the output's expression. */
function outputBehind(command: string, flag: string): string | undefined {
  const name = new RegExp(
    `${flag}="\\$\\(terraform -chdir=terraform output -raw (\\w+)\\)"`,
  ).exec(command)?.[1];
  return name === undefined
    ? undefined
    : String(terraform.outputs.get(name)?.value);
}

/** Every IAM binding whose member is the deployer, by resource address. */
function deployerBindings(): [string, Block][] {
  return [...terraform.resources.entries()].filter(
    ([address, block]) =>
      /_iam_member\./.test(address) && block.member === DEPLOYER_MEMBER,
  );
}

describe.each(['cloudbuild.yaml', 'docs/deploy.md'])('%s', (file) => {
  test('runs every build it shows as Terraform’s deployer service account', () => {
    const commands = buildCommands(file);
    expect(commands.some((command) => / builds submit /.test(command))).toBe(
      true,
    );
    for (const command of commands) {
      // projects/<project>/serviceAccounts/<email>: the account's name.
      expect([command, outputBehind(command, '--service-account')]).toEqual([
        command,
        `\${${DEPLOYER}.name}`,
      ]);
    }
  });

  test('stages submitted source in the one bucket the deployer may read', () => {
    const submits = buildCommands(file).filter((command) =>
      / builds submit /.test(command),
    );
    for (const command of submits) {
      expect([
        command,
        outputBehind(command, '--gcs-source-staging-dir'),
      ]).toEqual([
        command,
        'gs://${google_storage_bucket.build_source.name}/source',
      ]);
    }
  });
});

test('docs/deploy.md shows the trigger with the same service account', () => {
  expect(
    buildCommands('docs/deploy.md').filter((command) =>
      / builds triggers create /.test(command),
    ),
  ).toHaveLength(1);
});

test('gives the deployer what the build does and nothing more', () => {
  resource(terraform, DEPLOYER);
  const grants = deployerBindings().flatMap(([address, block]) => {
    const type = address.split('.')[0];
    const roles = Array.isArray(block.role)
      ? (block.role as string[])
      : block.role === '${each.value}'
        ? ((/toset\(\[(.*)\]\)/s.exec(String(block.for_each))?.[1] ?? '')
            .match(/"[^"]+"/g)
            ?.map((role) => role.slice(1, -1)) ?? [])
        : [String(block.role)];
    const on =
      type === 'google_project_iam_member'
        ? 'project'
        : String(block.repository ?? block.bucket);
    return roles.map((role) => `${type} ${on} ${role}`);
  });
  expect(grants.sort()).toEqual(
    [
      // get-credentials and kubectl apply through Skaffold.
      'google_project_iam_member project roles/container.developer',
      // A build with its own account must log to Cloud Logging.
      'google_project_iam_member project roles/logging.logWriter',
      // docker push, to template-feed's repository only.
      'google_artifact_registry_repository_iam_member ${google_artifact_registry_repository.images.name} roles/artifactregistry.writer',
      // The source `gcloud builds submit` staged, in its own bucket.
      'google_storage_bucket_iam_member ${google_storage_bucket.build_source.name} roles/storage.objectViewer',
    ].sort(),
  );
});

test('lets only the listed principals act as the deployer, on that account alone', () => {
  const actAs = [...terraform.resources.entries()].filter(
    ([, block]) => block.role === 'roles/iam.serviceAccountUser',
  );
  expect(actAs.map(([address]) => address)).toEqual([
    'google_service_account_iam_member.deployer_users',
  ]);
  const [[, binding] = ['', {}]] = actAs;
  expect(binding.service_account_id).toBe(`\${${DEPLOYER}.name}`);
  expect(binding.for_each).toBe('${toset(var.deployer_users)}');
  expect(terraform.variables.get('deployer_users')?.default).toEqual([]);
});
