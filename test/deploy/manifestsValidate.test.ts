import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

import {
  findObject,
  renderKustomize,
  type RenderedObject,
} from './renderKustomize.js';
import { validateObject } from './validateObject.js';

/**
 * Each kustomization and the namespace it deploys into. Development has its
 * own: `skaffold dev` deletes what it deployed on exit, and against the
 * production context by mistake it must not take production's namespace
 * (and the Secret made by hand in it) along.
 */
const KUSTOMIZATIONS: readonly (readonly [string, string])[] = [
  ['k8s/base', 'template-feed'],
  ['k8s/overlays/dev', 'template-feed-dev'],
  ['k8s/overlays/prod', 'template-feed'],
];

describe.each(KUSTOMIZATIONS)('kubectl kustomize %s', (folder, namespace) => {
  let objects: RenderedObject[];

  beforeAll(async () => {
    objects = await renderKustomize(folder);
  });

  test('renders a Deployment, a Service and a ServiceAccount', () => {
    const kinds = objects.map((object) => object.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['Deployment', 'Service', 'ServiceAccount']),
    );
  });

  test('sets no replica count on a Deployment an autoscaler scales', () => {
    // kubectl apply would reset the autoscaler's count to the manifest's.
    const scaled = objects
      .filter((object) => object.kind === 'HorizontalPodAutoscaler')
      .map(
        (object) =>
          (object as unknown as IHorizontalPodAutoscaler).spec?.scaleTargetRef,
      )
      .filter((target) => target?.kind === 'Deployment')
      .map((target) => target?.name);
    expect(scaled.length).toBeGreaterThan(0);
    for (const name of scaled) {
      const deployment = findObject<IDeployment>(
        objects,
        'Deployment',
        name ?? '',
      );
      expect([name, deployment.spec?.replicas]).toEqual([name, undefined]);
    }
  });

  test('renders only objects that validate against their schema', () => {
    const failures: string[] = [];
    for (const object of objects) {
      try {
        validateObject(object);
      } catch (error) {
        failures.push(
          `${object.kind} ${object.metadata.name}: ${String(error)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  test(`puts every namespaced object in the ${namespace} namespace, which it creates`, () => {
    const namespaced = objects.filter((object) => object.kind !== 'Namespace');
    expect(
      namespaced.filter((object) => object.metadata.namespace !== namespace),
    ).toEqual([]);
    expect(
      objects
        .filter((object) => object.kind === 'Namespace')
        .map((object) => object.metadata.name),
    ).toEqual([namespace]);
  });
});

test('the validator rejects an object that breaks its schema', () => {
  const broken = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: { replicas: 'three', selector: {}, template: {} },
  } as unknown as RenderedObject;
  expect(() => validateObject(broken)).toThrow();
});

describe('the PodMonitoring check', () => {
  const valid = {
    apiVersion: 'monitoring.googleapis.com/v1',
    kind: 'PodMonitoring',
    metadata: { name: 'template-feed' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'template-feed' } },
      endpoints: [
        { port: 'http', path: '/metrics', interval: '30s', timeout: '10s' },
      ],
    },
  };
  const withEndpoint = (endpoint: Record<string, unknown>) =>
    ({
      ...valid,
      spec: { ...valid.spec, endpoints: [endpoint] },
    }) as unknown as RenderedObject;

  test('accepts a PodMonitoring the v1 CRD accepts', () => {
    expect(() =>
      validateObject(valid as unknown as RenderedObject),
    ).not.toThrow();
  });

  test.each([
    ['no interval (required in v1)', { port: 'http' }],
    ['an interval that is no duration', { port: 'http', interval: '30' }],
    [
      'a timeout longer than the interval',
      { port: 'http', interval: '10s', timeout: '30s' },
    ],
    ['no port', { interval: '30s' }],
    ['a relative path', { port: 'http', interval: '30s', path: 'metrics' }],
    ['a misspelt field', { port: 'http', interval: '30s', intervall: '1m' }],
  ])('rejects an endpoint with %s', (_, endpoint) => {
    expect(() => validateObject(withEndpoint(endpoint))).toThrow(
      /PodMonitoring/,
    );
  });

  test('rejects a PodMonitoring without a selector', () => {
    const broken = {
      ...valid,
      spec: { endpoints: valid.spec.endpoints },
    } as unknown as RenderedObject;
    expect(() => validateObject(broken)).toThrow(/selector/);
  });
});
