import { readFileSync } from 'node:fs';

import { repoPath } from '../support/repoPaths.js';
import {
  loadTerraform,
  resolveVariables,
  resource,
  resourcesOfType,
  subBlock,
  variableDefault,
  type Block,
  type TerraformModule,
} from './loadTerraform.js';
import {
  findObject,
  objectsOfKind,
  renderKustomize,
} from './renderKustomize.js';

let terraform: TerraformModule;

beforeAll(async () => {
  terraform = await loadTerraform();
});

/** The IAM role a binding grants, resolving a custom role's address. */
function permissionsOf(role: unknown): string[] {
  const match = /^\$\{google_project_iam_custom_role\.(\w+)\.(id|name)\}$/.exec(
    String(role),
  );
  if (match === null) return [];
  const custom = resource(
    terraform,
    `google_project_iam_custom_role.${match[1]}`,
  );
  return custom.permissions as string[];
}

/** Every IAM binding of the app's Google service account. */
function appBindings(): { type: string; block: Block }[] {
  const member = '${google_service_account.app.email}';
  return [...terraform.resources.entries()]
    .filter(
      ([address, block]) =>
        /_iam_member\./.test(address) && String(block.member).includes(member),
    )
    .map(([address, block]) => ({
      type: address.split('.')[0] ?? '',
      block,
    }));
}

/**
 * The resources a block names: in references (`${google_x.y.id}`) and in
 * depends_on (`${google_x.y}`), data sources aside.
 */
function referencedResources(block: Block): string[] {
  const found = new Set<string>();
  const text = JSON.stringify(block);
  for (const match of text.matchAll(
    /(?<![\w.])([a-z][a-z0-9]*_[a-z0-9_]+)\.([a-z_][a-z0-9_-]*)/g,
  )) {
    const address = `${match[1]}.${match[2]}`;
    if (terraform.resources.has(address)) found.add(address);
  }
  return [...found];
}

test('splits the module into one file per concern', () => {
  expect(terraform.files).toEqual(
    expect.arrayContaining([
      'versions.tf',
      'variables.tf',
      'outputs.tf',
      'apis.tf',
      'network.tf',
      'gke.tf',
      'pubsub.tf',
      'iam.tf',
      'workload_identity.tf',
      'cloudsql.tf',
      'artifact_registry.tf',
    ]),
  );
});

test('pins the google provider to a version range', () => {
  const providers = terraform.settings.flatMap(
    (settings) => (settings.required_providers ?? []) as Block[],
  );
  const google = providers.find((entry) => 'google' in entry)?.google as Block;
  expect(google.source).toBe('hashicorp/google');
  expect(google.version).toMatch(/^~> \d+\.\d+$/);
});

test('types and describes every variable', () => {
  expect(terraform.variables.size).toBeGreaterThan(5);
  const problems: string[] = [];
  for (const [name, variable] of terraform.variables) {
    if (
      !/^\$\{(string|number|bool|list|set|map|object|tuple)\b/.test(
        String(variable.type),
      )
    ) {
      problems.push(`${name}: no type`);
    }
    if (
      typeof variable.description !== 'string' ||
      variable.description.length < 10
    ) {
      problems.push(`${name}: no description`);
    }
  }
  expect(problems).toEqual([]);
});

test('describes every output', () => {
  for (const [name, output] of terraform.outputs) {
    expect([name, typeof output.description]).toEqual([name, 'string']);
  }
});

test('comments every resource with a line above it', () => {
  const problems: string[] = [];
  for (const file of terraform.files) {
    const lines = readFileSync(repoPath('terraform', file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.startsWith('resource ') && !lines[index - 1]?.startsWith('#')) {
        problems.push(`${file}: ${line}`);
      }
    });
  }
  expect(problems).toEqual([]);
});

test('enables the APIs a fresh project lacks, cloudresourcemanager and iam among them', () => {
  const apis = resource(terraform, 'google_project_service.enabled');
  expect(apis.for_each).toBe('${local.services}');
  const services = readFileSync(repoPath('terraform', 'apis.tf'), 'utf8');
  for (const api of [
    'cloudresourcemanager.googleapis.com',
    'iam.googleapis.com',
    'compute.googleapis.com',
    'container.googleapis.com',
    'pubsub.googleapis.com',
    'sqladmin.googleapis.com',
    'secretmanager.googleapis.com',
    'artifactregistry.googleapis.com',
    'monitoring.googleapis.com',
  ]) {
    expect(services).toContain(`"${api}"`);
  }
});

test('creates every Google resource only after the APIs are enabled', () => {
  // Directly (depends_on) or through a resource it references: Terraform
  // otherwise creates it alongside the enabling, and a fresh project's
  // first apply fails.
  const apis = 'google_project_service.enabled';
  const memo = new Map<string, boolean>();
  const afterApis = (address: string, seen: Set<string>): boolean => {
    const known = memo.get(address);
    if (known !== undefined) return known;
    if (seen.has(address)) return false;
    seen.add(address);
    const result = referencedResources(resource(terraform, address)).some(
      (dependency) => dependency === apis || afterApis(dependency, seen),
    );
    memo.set(address, result);
    return result;
  };
  const google = [...terraform.resources.keys()].filter(
    (address) => address.startsWith('google_') && address !== apis,
  );
  expect(google.length).toBeGreaterThan(20);
  expect(google.filter((address) => !afterApis(address, new Set()))).toEqual(
    [],
  );
});

test('runs the cluster VPC-native in a network of its own, on ranges that do not overlap', () => {
  const network = resource(terraform, 'google_compute_network.main');
  expect(network.auto_create_subnetworks).toBe(false);
  const subnetwork = resource(terraform, 'google_compute_subnetwork.nodes');
  expect(subnetwork.network).toBe('${google_compute_network.main.id}');
  expect(subnetwork.region).toBe('${var.region}');

  const cluster = resource(terraform, 'google_container_cluster.primary');
  expect(cluster.network).toBe('${google_compute_network.main.id}');
  expect(cluster.subnetwork).toBe('${google_compute_subnetwork.nodes.id}');
  expect(cluster.networking_mode).toBe('VPC_NATIVE');

  // The policy names the subnetwork's secondary ranges, by index.
  const ranges = subnetwork.secondary_ip_range as Block[];
  const policy = subBlock(cluster, 'ip_allocation_policy');
  const rangeAt = (expression: unknown) => {
    const index =
      /^\$\{google_compute_subnetwork\.nodes\.secondary_ip_range\[(\d)\]\.range_name\}$/.exec(
        String(expression),
      )?.[1];
    return ranges[Number(index)];
  };
  expect(rangeAt(policy.cluster_secondary_range_name)?.range_name).toBe('pods');
  expect(rangeAt(policy.services_secondary_range_name)?.range_name).toBe(
    'services',
  );

  // Every range a variable with a default, and no two overlapping.
  const cidrs = [
    subnetwork.ip_cidr_range,
    ...ranges.map((range) => range.ip_cidr_range),
  ].map((expression) => {
    const name = /^\$\{var\.(\w+)\}$/.exec(String(expression))?.[1];
    return String(variableDefault(terraform, name ?? ''));
  });
  expect(cidrs).toHaveLength(3);
  const span = (cidr: string): [number, number] => {
    const [address = '', bits = ''] = cidr.split('/');
    const start = address
      .split('.')
      .reduce((total, octet) => total * 256 + Number(octet), 0);
    return [start, start + 2 ** (32 - Number(bits)) - 1];
  };
  for (const [index, a] of cidrs.entries()) {
    for (const b of cidrs.slice(index + 1)) {
      const [aStart, aEnd] = span(a);
      const [bStart, bEnd] = span(b);
      expect([a, b, aEnd < bStart || bEnd < aStart]).toEqual([a, b, true]);
    }
  }
});

test('declares the template-events topic the prod overlay uses', async () => {
  const topic = resource(terraform, 'google_pubsub_topic.template_events');
  expect(topic.name).toBe('${var.pubsub_topic}');
  expect(variableDefault(terraform, 'pubsub_topic')).toBe('template-events');
  const prod = await renderKustomize('k8s/overlays/prod');
  const [configMap] = objectsOfKind<{ data: Record<string, string> }>(
    prod,
    'ConfigMap',
  );
  expect(configMap?.data.PUBSUB_TOPIC).toBe('template-events');
});

test('keeps no messages on the topic, since nothing seeks back through them', () => {
  // A reattaching pod catches up from the store's event log; topic
  // retention would be storage paid for and never read.
  const topic = resource(terraform, 'google_pubsub_topic.template_events');
  expect(topic.message_retention_duration).toBeUndefined();
});

test('creates a GKE cluster with Workload Identity and a node pool', () => {
  const cluster = resource(terraform, 'google_container_cluster.primary');
  expect(subBlock(cluster, 'workload_identity_config').workload_pool).toBe(
    '${var.project_id}.svc.id.goog',
  );
  const pool = resource(terraform, 'google_container_node_pool.primary');
  expect(pool.cluster).toBe('${google_container_cluster.primary.id}');
  expect(
    subBlock(subBlock(pool, 'node_config'), 'workload_metadata_config').mode,
  ).toBe('GKE_METADATA');
});

test('runs even the temporary default node pool as the nodes’ own service account', () => {
  // GKE creates the default pool before remove_default_node_pool deletes
  // it; without a service account its nodes would be the Compute Engine
  // default account's, which a hardened project has disabled.
  const cluster = resource(terraform, 'google_container_cluster.primary');
  expect(cluster.remove_default_node_pool).toBe(true);
  const nodes = '${google_service_account.nodes.email}';
  expect(subBlock(cluster, 'node_config').service_account).toBe(nodes);
  const pool = resource(terraform, 'google_container_node_pool.primary');
  expect(subBlock(pool, 'node_config').service_account).toBe(nodes);
  // Read back, node_config is the remaining pool's, and a change to it
  // would replace the cluster: it only matters at creation.
  expect(subBlock(cluster, 'lifecycle').ignore_changes).toEqual([
    '${node_config}',
  ]);
  expect(cluster.depends_on).toContain('${google_project_iam_member.nodes}');
  expect(resource(terraform, 'google_project_iam_member.nodes').member).toBe(
    `serviceAccount:${nodes}`,
  );
});

test('lets the pods publish to the topic and attach subscriptions to it only', () => {
  const onTopic = appBindings().filter(
    ({ type }) => type === 'google_pubsub_topic_iam_member',
  );
  for (const { block } of onTopic) {
    expect(block.topic).toBe('${google_pubsub_topic.template_events.id}');
  }
  const topicRoles = onTopic.map(({ block }) => block.role);
  expect(topicRoles).toContain('roles/pubsub.publisher');
  expect(topicRoles.flatMap(permissionsOf)).toContain(
    'pubsub.topics.attachSubscription',
  );
});

test('lets the pods create, consume and delete subscriptions without pubsub.editor', () => {
  const onProject = appBindings().filter(
    ({ type }) => type === 'google_project_iam_member',
  );
  const permissions = onProject.flatMap(({ block }) =>
    permissionsOf(block.role),
  );
  expect(permissions).toEqual(
    expect.arrayContaining([
      'pubsub.subscriptions.create',
      'pubsub.subscriptions.delete',
      'pubsub.subscriptions.consume',
      'pubsub.subscriptions.get',
    ]),
  );
  expect(
    permissions.filter((name) => name.startsWith('pubsub.topics.')),
  ).toEqual([]);
  const roles = appBindings().map(({ block }) => block.role);
  for (const broad of [
    'roles/pubsub.editor',
    'roles/pubsub.admin',
    'roles/editor',
    'roles/owner',
  ]) {
    expect(roles).not.toContain(broad);
  }
  expect(roles).toContain('roles/cloudsql.client');
});

test('binds the k8s/base ServiceAccount to the Google service account', async () => {
  const binding = resource(
    terraform,
    'google_service_account_iam_member.app_workload_identity',
  );
  expect(binding.role).toBe('roles/iam.workloadIdentityUser');
  expect(binding.service_account_id).toBe('${google_service_account.app.name}');
  const base = await renderKustomize('k8s/base');
  const serviceAccount = findObject(base, 'ServiceAccount', 'template-feed');
  expect(resolveVariables(terraform, String(binding.member), 'p')).toBe(
    `serviceAccount:p.svc.id.goog[${serviceAccount.metadata.namespace}/${serviceAccount.metadata.name}]`,
  );
  expect(resource(terraform, 'google_service_account.app').account_id).toBe(
    '${var.gsa_account_id}',
  );
});

test('creates PostgreSQL 15 on Cloud SQL with a database and a user', () => {
  const instance = resource(terraform, 'google_sql_database_instance.main');
  expect(instance.database_version).toBe('POSTGRES_15');
  expect(instance.name).toBe('${var.database_instance_name}');
  const database = resource(terraform, 'google_sql_database.template_feed');
  expect(database.instance).toBe('${google_sql_database_instance.main.name}');
  const user = resource(terraform, 'google_sql_user.template_feed');
  expect(user.password).toBe('${random_password.database.result}');
});

test('keeps the generated database URL in Secret Manager', () => {
  const secrets = resourcesOfType(terraform, 'google_secret_manager_secret');
  expect([...secrets.keys()]).toContain('database_url');
  const version = resource(
    terraform,
    'google_secret_manager_secret_version.database_url',
  );
  expect(version.secret).toBe(
    '${google_secret_manager_secret.database_url.id}',
  );
  expect(String(version.secret_data)).toContain(
    '${random_password.database.result}',
  );
  expect(String(version.secret_data)).toMatch(
    /^postgres:\/\/.*@127\.0\.0\.1:5432\//,
  );
});

test('creates a Docker repository in Artifact Registry', () => {
  const repository = resource(
    terraform,
    'google_artifact_registry_repository.images',
  );
  expect(repository.format).toBe('DOCKER');
  expect(repository.repository_id).toBe('${var.artifact_registry_repository}');
});
