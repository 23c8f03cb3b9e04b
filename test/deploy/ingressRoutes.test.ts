import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';

import { appWorkload } from './appWorkload.js';
import {
  findObject,
  objectsOfKind,
  renderKustomize,
  type RenderedObject,
} from './renderKustomize.js';

/** What clients use: POST /graphql and the WebSocket upgrade, GET /graphql. */
const PUBLIC_PATH = '/graphql';

/** What only the cluster (kubelet, the scraper, the LB's health check) uses. */
const INTERNAL_PATHS = ['/metrics', '/readyz', '/healthz', '/', '/graphql/x'];

/**
 * Whether an Ingress sends a request for `path` (on any host) to a backend
 * of its own, by the networking.k8s.io/v1 rules: a defaultBackend takes
 * whatever no rule matches; Exact matches the whole path; Prefix matches
 * whole path elements. ImplementationSpecific is read as GCE reads it: a
 * trailing `/*` is a prefix, anything else exact.
 */
function routes(ingress: IIngress, path: string): boolean {
  if (ingress.spec?.defaultBackend !== undefined) return true;
  return (ingress.spec?.rules ?? []).some((rule) =>
    (rule.http?.paths ?? []).some((entry) => {
      const rulePath = entry.path ?? '';
      switch (entry.pathType) {
        case 'Exact':
          return path === rulePath;
        case 'Prefix': {
          const prefix = rulePath.replace(/\/+$/, '');
          return (
            prefix === '' || path === prefix || path.startsWith(`${prefix}/`)
          );
        }
        case 'ImplementationSpecific':
          return rulePath.endsWith('/*')
            ? path.startsWith(rulePath.slice(0, -1))
            : path === rulePath;
      }
    }),
  );
}

describe.each(['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod'])(
  'kubectl kustomize %s',
  (folder) => {
    let objects: RenderedObject[];
    let ingresses: IIngress[];

    beforeAll(async () => {
      objects = await renderKustomize(folder);
      ingresses = objectsOfKind<IIngress>(objects, 'Ingress');
    });

    test('routes only /graphql from the internet, never /metrics or the probes', () => {
      for (const ingress of ingresses) {
        const name = ingress.metadata?.name;
        // GKE's own default backend answers 404 for every other path.
        expect([name, ingress.spec?.defaultBackend]).toEqual([name, undefined]);
        expect([name, routes(ingress, PUBLIC_PATH)]).toEqual([name, true]);
        for (const path of INTERNAL_PATHS) {
          expect([name, path, routes(ingress, path)]).toEqual([
            name,
            path,
            false,
          ]);
        }
      }
    });

    test('sends /graphql to the app’s Service on the port named for the app', () => {
      const app = appWorkload(objects);
      for (const ingress of ingresses) {
        const backends = (ingress.spec?.rules ?? []).flatMap((rule) =>
          (rule.http?.paths ?? []).map((entry) => entry.backend.service),
        );
        expect(backends.length).toBeGreaterThan(0);
        for (const backend of backends) {
          const service = findObject<IService>(
            objects,
            'Service',
            backend?.name ?? '',
          );
          const port = service.spec?.ports?.find(
            (candidate) => candidate.name === backend?.port?.name,
          );
          expect(port?.targetPort).toBe(app.container.ports?.[0]?.name);
        }
      }
    });
  },
);

test('the dev overlay has no Ingress, and prod exactly one', async () => {
  const count = async (folder: string) =>
    objectsOfKind(await renderKustomize(folder), 'Ingress').length;
  expect(await count('k8s/overlays/dev')).toBe(0);
  expect(await count('k8s/overlays/prod')).toBe(1);
});
