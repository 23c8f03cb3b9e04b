import { readFileSync } from 'node:fs';

import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';

import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config.js';
import { repoPath } from '../support/repoPaths.js';
import { appWorkload, type AppWorkload } from './appWorkload.js';
import { peakConnections, postgresMaxConnections } from './connectionBudget.js';
import {
  findObject,
  objectsOfKind,
  renderKustomize,
  secretValues,
  type RenderedObject,
} from './renderKustomize.js';

let objects: RenderedObject[];
let app: AppWorkload;

beforeAll(async () => {
  objects = await renderKustomize('k8s/overlays/dev');
  app = appWorkload(objects);
});

/**
 * Follows `host:port` to the Service of that name, that port's target, and
 * the Deployment whose pods the Service selects: the address is only right
 * if a container really listens behind it.
 */
function backendOf(host: string, port: number) {
  const service = findObject<IService>(objects, 'Service', host);
  const servicePort = service.spec?.ports?.find((entry) => entry.port === port);
  if (servicePort === undefined) throw new Error(`${host} has no port ${port}`);
  const selector = service.spec?.selector ?? {};
  const deployments = objectsOfKind<IDeployment>(objects, 'Deployment').filter(
    (deployment) =>
      Object.entries(selector).every(
        ([key, value]) =>
          deployment.spec?.template.metadata?.labels?.[key] === value,
      ),
  );
  expect(deployments).toHaveLength(1);
  const container = deployments[0]?.spec?.template.spec?.containers.find(
    (candidate) =>
      candidate.ports?.some(
        (containerPort) =>
          containerPort.name === servicePort.targetPort ||
          containerPort.containerPort === servicePort.targetPort,
      ),
  );
  const containerPort = container?.ports?.find(
    (entry) =>
      entry.name === servicePort.targetPort ||
      entry.containerPort === servicePort.targetPort,
  )?.containerPort;
  return { container, containerPort };
}

test('runs two pods of the app, counted by the autoscaler alone', () => {
  expect(app.deployment.spec?.replicas).toBeUndefined();
  const autoscaler = findObject<IHorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
    'template-feed',
  );
  expect(autoscaler.spec?.scaleTargetRef.name).toBe('template-feed');
  expect(autoscaler.spec?.minReplicas).toBe(2);
});

test('points PUBSUB_EMULATOR_HOST at the in-cluster emulator Service', () => {
  const [host, port] = (app.environment.PUBSUB_EMULATOR_HOST ?? '').split(':');
  expect(host).toBe('pubsub-emulator');
  const { container, containerPort } = backendOf(host ?? '', Number(port));
  expect(container?.image).toMatch(
    /^gcr\.io\/google\.com\/cloudsdktool\/google-cloud-cli:[\d.]+-emulators$/,
  );
  expect(container?.command).toEqual(
    expect.arrayContaining([
      'gcloud',
      'pubsub',
      'start',
      `--host-port=0.0.0.0:${containerPort}`,
    ]),
  );
});

test('points DATABASE_URL at the in-cluster PostgreSQL with its credentials', () => {
  const url = new URL(app.environment.DATABASE_URL ?? '');
  const { container } = backendOf(url.hostname, Number(url.port));
  expect(container?.image).toMatch(/^postgres:15\.\d+/);
  const postgresEnv = Object.fromEntries(
    (container?.env ?? []).map((variable) => [variable.name, variable]),
  );
  expect(postgresEnv.POSTGRES_USER?.value).toBe(url.username);
  expect(postgresEnv.POSTGRES_DB?.value).toBe(url.pathname.slice(1));
  const passwordRef = postgresEnv.POSTGRES_PASSWORD?.valueFrom?.secretKeyRef;
  const secret = findObject(objects, 'Secret', passwordRef?.name ?? '');
  expect(secretValues(secret)[passwordRef?.key ?? '']).toBe(url.password);
});

test('fits every pod’s full pool in the in-cluster PostgreSQL’s max_connections', () => {
  const url = new URL(app.environment.DATABASE_URL ?? '');
  const { container } = backendOf(url.hostname, Number(url.port));
  const autoscaler = findObject<IHorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
    'template-feed',
  );
  expect(peakConnections(app, autoscaler)).toBeLessThanOrEqual(
    postgresMaxConnections(container ?? { name: '' }),
  );
});

test('runs in development mode with a development JWT secret from a Secret', () => {
  expect(app.environment.NODE_ENV).toBe('development');
  expect(app.environment.BUS).toBe('pubsub');
  expect(app.environment.GOOGLE_CLOUD_PROJECT).toMatch(/\S/);
  expect(app.secretReferences.get('AUTH_JWT_SECRET')?.secret).toMatch(
    /^template-feed-secrets-/,
  );
  // The published development secret, so `npm run token` signs tokens the
  // dev cluster accepts.
  expect(app.environment.AUTH_JWT_SECRET).toBe(DEVELOPMENT_JWT_SECRET);
});

test('deploys into a namespace of its own, which skaffold dev port-forwards from', async () => {
  const prod = await renderKustomize('k8s/overlays/prod');
  const namespaceOf = (rendered: RenderedObject[]) =>
    findObject(rendered, 'Deployment', 'template-feed').metadata.namespace;
  expect(namespaceOf(objects)).toBe('template-feed-dev');
  expect(namespaceOf(objects)).not.toBe(namespaceOf(prod));

  const skaffold = parse(readFileSync(repoPath('skaffold.yaml'), 'utf8')) as {
    profiles: {
      name: string;
      portForward?: { resourceName: string; namespace?: string }[];
    }[];
  };
  const forwards =
    skaffold.profiles.find((profile) => profile.name === 'dev')?.portForward ??
    [];
  expect(forwards.map((forward) => forward.namespace)).toEqual([
    namespaceOf(objects),
  ]);
});

test('leaves out the GKE-only Ingress and BackendConfig', () => {
  expect(objectsOfKind(objects, 'Ingress')).toEqual([]);
  expect(objectsOfKind(objects, 'BackendConfig')).toEqual([]);
});
