import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

import {
  findObject,
  renderKustomize,
  type RenderedObject,
} from './renderKustomize.js';
import { validateObject } from './validateObject.js';

const KUSTOMIZATIONS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod'];

describe.each(KUSTOMIZATIONS)('kubectl kustomize %s', (folder) => {
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

  test('puts every namespaced object in the template-feed namespace', () => {
    const namespaced = objects.filter((object) => object.kind !== 'Namespace');
    expect(
      namespaced.filter(
        (object) => object.metadata.namespace !== 'template-feed',
      ),
    ).toEqual([]);
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
