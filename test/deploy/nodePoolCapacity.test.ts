import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

import { appWorkload, type AppWorkload } from './appWorkload.js';
import { peakPods } from './connectionBudget.js';
import {
  loadTerraform,
  resource,
  subBlock,
  variableDefault,
  type TerraformModule,
} from './loadTerraform.js';
import { nodeAllocatable, podRequests, podsPerNode } from './nodeCapacity.js';
import { findObject, renderKustomize } from './renderKustomize.js';

/**
 * Zones the regional cluster's node pool spans: GKE's default for a
 * regional cluster without node_locations, and what europe-west1 (b, c, d)
 * has. The autoscaler's limits in terraform/ are per zone.
 */
const ZONES = 3;

let app: AppWorkload;
let autoscaler: IHorizontalPodAutoscaler;
let terraform: TerraformModule;

beforeAll(async () => {
  const objects = await renderKustomize('k8s/overlays/prod');
  app = appWorkload(objects);
  autoscaler = findObject<IHorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
    'template-feed',
  );
  terraform = await loadTerraform();
});

const numberDefault = (name: string): number =>
  Number(variableDefault(terraform, name));

test('computes e2-standard-2’s allocatable CPU and memory as GKE publishes them', () => {
  expect(nodeAllocatable('e2-standard-2')).toEqual({
    cpuMillis: 1930,
    memoryMebibytes: 6248,
  });
});

test('the node pool’s machine type and per-zone limits come from the variables', () => {
  const pool = resource(terraform, 'google_container_node_pool.primary');
  expect(subBlock(pool, 'node_config').machine_type).toBe(
    '${var.node_machine_type}',
  );
  expect(subBlock(pool, 'autoscaling')).toEqual(
    expect.objectContaining({
      min_node_count: '${var.node_min_count_per_zone}',
      max_node_count: '${var.node_max_count_per_zone}',
    }),
  );
  expect(
    resource(terraform, 'google_container_cluster.primary').node_locations,
  ).toBeUndefined();
});

test('the node pool at its maximum holds production’s busiest moment, one node short, with a tenth to spare', () => {
  // Assumptions: every pod requests what the prod overlay renders (the app
  // and the Cloud SQL proxy sidecar); the busiest moment is the
  // autoscaler's maxReplicas plus a rollout's surge plus the previous
  // surge still draining (terminating pods keep their requests until they
  // exit), as for the database connections; GKE's DaemonSets take
  // DAEMONSET_REQUESTS on every node; pods do not span nodes, so what a
  // node holds is a whole number of pods. One node short: a node being
  // repaired or upgraded, or a zone at its limit while another has room
  // (the zone spread is ScheduleAnyway). The tenth covers kube-system's
  // Deployments (kube-dns, metrics-server, the default backend) and a
  // DaemonSet GKE adds later.
  const pod = podRequests(
    app.deployment.spec?.template.spec ?? { containers: [] },
  );
  expect(pod.cpuMillis).toBeGreaterThan(0);
  const perNode = podsPerNode(
    String(variableDefault(terraform, 'node_machine_type')),
    pod,
  );
  expect(perNode).toBeGreaterThan(0);
  const nodes = numberDefault('node_max_count_per_zone') * ZONES;
  const peak = peakPods(app.deployment, autoscaler);

  expect((nodes - 1) * perNode).toBeGreaterThanOrEqual(Math.ceil(peak * 1.1));
});

test('the node pool at its minimum holds minReplicas with a node to spare', () => {
  const pod = podRequests(
    app.deployment.spec?.template.spec ?? { containers: [] },
  );
  const perNode = podsPerNode(
    String(variableDefault(terraform, 'node_machine_type')),
    pod,
  );
  const nodes = numberDefault('node_min_count_per_zone') * ZONES;
  expect((nodes - 1) * perNode).toBeGreaterThanOrEqual(
    autoscaler.spec?.minReplicas ?? 1,
  );
});
