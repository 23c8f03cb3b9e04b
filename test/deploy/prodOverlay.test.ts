import { readFileSync } from 'node:fs';

import type { IBackendConfig } from '@kubernetes-models/gke/cloud.google.com/v1/BackendConfig';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';

import { repoPath } from '../support/repoPaths.js';
import { appWorkload, type AppWorkload } from './appWorkload.js';
import { peakConnections } from './connectionBudget.js';
import {
  loadTerraform,
  resource,
  subBlock,
  variableDefault,
  type Block,
  type TerraformModule,
} from './loadTerraform.js';
import {
  findObject,
  renderKustomize,
  type RenderedObject,
} from './renderKustomize.js';

let objects: RenderedObject[];
let app: AppWorkload;
let terraform: TerraformModule;

beforeAll(async () => {
  objects = await renderKustomize('k8s/overlays/prod');
  app = appWorkload(objects);
  terraform = await loadTerraform();
});

const preStopSeconds = () =>
  app.container.lifecycle?.preStop?.sleep?.seconds ?? 0;
const drainTimeoutSeconds = () =>
  Number(app.environment.DRAIN_TIMEOUT_SECONDS ?? 20);

test('runs in production mode on the topic Terraform owns', () => {
  expect(app.environment.NODE_ENV).toBe('production');
  expect(app.environment.BUS).toBe('pubsub');
  expect(app.environment.PUBSUB_CREATE_TOPIC).toBe('false');
  expect(app.environment.PUBSUB_TOPIC).toBe(
    variableDefault(terraform, 'pubsub_topic'),
  );
  expect(app.environment.PUBSUB_EMULATOR_HOST).toBeUndefined();
});

test('leaves the replica count to the autoscaler, which keeps at least three', () => {
  expect(app.deployment.spec?.replicas).toBeUndefined();
  const autoscaler = findObject<IHorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
    'template-feed',
  );
  expect(autoscaler.spec?.minReplicas).toBe(3);
  expect(autoscaler.spec?.scaleTargetRef).toEqual({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'template-feed',
  });
});

test('fits every pod’s full pool in Cloud SQL’s max_connections at the busiest moment', () => {
  const autoscaler = findObject<IHorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
    'template-feed',
  );
  // Set explicitly: the tier's default (100 on the default 3.75 GB tier) is
  // not ours to rely on.
  const settings = subBlock(
    resource(terraform, 'google_sql_database_instance.main'),
    'settings',
  );
  const flag = ((settings.database_flags ?? []) as Block[]).find(
    (candidate) => candidate.name === 'max_connections',
  );
  const variable = /^\$\{(?:tostring\()?var\.(\w+)\)?\}$/.exec(
    String(flag?.value),
  )?.[1];
  const maxConnections = Number(variableDefault(terraform, variable ?? ''));

  expect(peakConnections(app, autoscaler)).toBeLessThanOrEqual(maxConnections);
});

test('has Managed Service for Prometheus scrape /metrics from the app’s named port', () => {
  const monitoring = findObject<{
    spec: {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string | number; path?: string; interval: string }[];
    };
  }>(objects, 'PodMonitoring', 'template-feed');
  const podLabels = app.deployment.spec?.template.metadata?.labels ?? {};
  expect(podLabels).toEqual(
    expect.objectContaining(monitoring.spec.selector.matchLabels),
  );
  expect(monitoring.spec.endpoints).toHaveLength(1);
  const [endpoint] = monitoring.spec.endpoints;
  // By name, so the series carry the container label; that name is the
  // app container's port, on PORT.
  const port = app.container.ports?.find(
    (candidate) => candidate.name === endpoint?.port,
  );
  expect(port?.containerPort).toBe(Number(app.environment.PORT));
  expect(endpoint?.path).toBe('/metrics');
});

test('reads DATABASE_URL and the auth secrets from a Secret it does not render', () => {
  expect(app.secretReferences.get('DATABASE_URL')).toEqual({
    secret: 'template-feed-secrets',
    key: 'DATABASE_URL',
    optional: false,
  });
  expect(app.secretReferences.get('AUTH_JWT_SECRET')?.secret).toBe(
    'template-feed-secrets',
  );
  expect(app.secretReferences.get('AUTH_JWKS_URL')?.secret).toBe(
    'template-feed-secrets',
  );
  expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
});

test('gives WebSockets an hour and sticky sessions at the load balancer', () => {
  const backendConfig = findObject<IBackendConfig>(
    objects,
    'BackendConfig',
    'template-feed',
  );
  expect(backendConfig.spec?.timeoutSec).toBeGreaterThanOrEqual(3600);
  expect(backendConfig.spec?.sessionAffinity?.affinityType).toBe(
    'GENERATED_COOKIE',
  );
  expect(
    backendConfig.spec?.sessionAffinity?.affinityCookieTtlSec,
  ).toBeGreaterThan(0);
  expect(
    backendConfig.spec?.connectionDraining?.drainingTimeoutSec,
  ).toBeGreaterThanOrEqual(preStopSeconds() + drainTimeoutSeconds());
});

test('health-checks /readyz on the container port from the load balancer', () => {
  const backendConfig = findObject<IBackendConfig>(
    objects,
    'BackendConfig',
    'template-feed',
  );
  const containerPort = app.container.ports?.[0]?.containerPort;
  expect(backendConfig.spec?.healthCheck).toEqual(
    expect.objectContaining({
      type: 'HTTP',
      requestPath: '/readyz',
      port: containerPort,
    }),
  );
  expect(containerPort).toBe(Number(app.environment.PORT));
});

test('attaches the BackendConfig and a NEG to the Service', () => {
  const service = findObject<IService>(objects, 'Service', 'template-feed');
  const annotations = service.metadata?.annotations ?? {};
  expect(JSON.parse(annotations['cloud.google.com/neg'] ?? '{}')).toEqual({
    ingress: true,
  });
  expect(
    JSON.parse(annotations['cloud.google.com/backend-config'] ?? '{}'),
  ).toEqual({ default: 'template-feed' });
});

test('serves HTTPS through a GCE Ingress on the Terraform static IP', () => {
  const ingress = findObject<IIngress>(objects, 'Ingress', 'template-feed');
  const annotations = ingress.metadata?.annotations ?? {};
  expect(annotations['kubernetes.io/ingress.class']).toBe('gce');
  expect(annotations['kubernetes.io/ingress.global-static-ip-name']).toBe(
    variableDefault(terraform, 'ingress_static_ip_name'),
  );
  const certificate = findObject<{ spec: { domains: string[] } }>(
    objects,
    'ManagedCertificate',
    annotations['networking.gke.io/managed-certificates'] ?? '',
  );
  const hosts = ingress.spec?.rules?.map((rule) => rule.host);
  expect(certificate.spec.domains).toEqual(hosts);
  findObject(
    objects,
    'FrontendConfig',
    annotations['networking.gke.io/v1beta1.FrontendConfig'] ?? '',
  );
});

test('runs the Cloud SQL Auth Proxy as a native sidecar for DATABASE_URL', () => {
  const sidecars = app.deployment.spec?.template.spec?.initContainers ?? [];
  expect(sidecars).toHaveLength(1);
  const proxy = sidecars[0];
  expect(proxy?.restartPolicy).toBe('Always');
  expect(proxy?.image).toMatch(
    /^gcr\.io\/cloud-sql-connectors\/cloud-sql-proxy:\d+\.\d+\.\d+$/,
  );
  expect(proxy?.startupProbe?.httpGet?.path).toBe('/startup');
  expect(proxy?.args).toContain('--port=5432');
  const instance = [
    app.environment.GOOGLE_CLOUD_PROJECT,
    variableDefault(terraform, 'region'),
    variableDefault(terraform, 'database_instance_name'),
  ].join(':');
  expect(proxy?.args).toContain(instance);
});

test('is deployed by skaffold -p prod only to the context get-credentials makes for Terraform’s cluster', () => {
  const skaffold = parse(readFileSync(repoPath('skaffold.yaml'), 'utf8')) as {
    profiles: { name: string; deploy?: { kubeContext?: string } }[];
  };
  const prod = skaffold.profiles.find((profile) => profile.name === 'prod');
  // gcloud container clusters get-credentials names the context
  // gke_<project>_<location>_<cluster>.
  expect(prod?.deploy?.kubeContext).toBe(
    [
      'gke',
      app.environment.GOOGLE_CLOUD_PROJECT,
      variableDefault(terraform, 'region'),
      variableDefault(terraform, 'cluster_name'),
    ].join('_'),
  );
});

test('acts as the Google service account Terraform binds to it', () => {
  const serviceAccount = findObject(objects, 'ServiceAccount', 'template-feed');
  expect(serviceAccount.metadata.name).toBe(
    variableDefault(terraform, 'k8s_service_account'),
  );
  expect(serviceAccount.metadata.namespace).toBe(
    variableDefault(terraform, 'k8s_namespace'),
  );
  expect(
    serviceAccount.metadata.annotations?.['iam.gke.io/gcp-service-account'],
  ).toBe(
    `${String(variableDefault(terraform, 'gsa_account_id'))}@${app.environment.GOOGLE_CLOUD_PROJECT}.iam.gserviceaccount.com`,
  );
});
