import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IService } from 'kubernetes-models/v1/Service';

import { loadConfig, type Config } from '../../src/config/config.js';
import { allContainers, appWorkload, type AppWorkload } from './appWorkload.js';
import { configVariableNames } from './configVariableNames.js';
import {
  findObject,
  renderKustomize,
  type RenderedObject,
} from './renderKustomize.js';

/**
 * Values for the Secret keys an overlay references but does not render
 * (production's come from Secret Manager), shaped as the app expects them.
 */
const EXTERNAL_SECRET_VALUES: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://template_feed:secret@127.0.0.1:5432/template_feed',
  AUTH_JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
};

const HEALTH_PATHS = ['/healthz', '/readyz'];

describe.each(['dev', 'prod'])('k8s/overlays/%s', (overlay) => {
  let objects: RenderedObject[];
  let app: AppWorkload;
  let config: Config;

  beforeAll(async () => {
    objects = await renderKustomize(`k8s/overlays/${overlay}`);
    app = appWorkload(objects);
    const environment: Record<string, string> = { ...app.environment };
    for (const name of app.secretReferences.keys()) {
      const external = EXTERNAL_SECRET_VALUES[name];
      if (environment[name] === undefined && external !== undefined) {
        environment[name] = external;
      }
    }
    config = loadConfig(environment);
  });

  test('gives the app only variables src/config/config.ts reads', () => {
    const known = configVariableNames();
    expect(app.variableNames.filter((name) => !known.has(name))).toEqual([]);
    expect(new Set(app.variableNames).size).toBe(app.variableNames.length);
  });

  test('sets an environment the app accepts, on the pubsub bus', () => {
    expect(config.bus).toBe('pubsub');
    expect(config.instanceId).toBe('template-feed-5d8f7c9b6-x2x7q');
    expect(config.log.format).toBe('json');
  });

  test('takes INSTANCE_ID and POD_NAME from the pod name', () => {
    for (const name of ['INSTANCE_ID', 'POD_NAME']) {
      const variable = app.container.env?.find((entry) => entry.name === name);
      expect(variable?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    }
  });

  test('probes /healthz for liveness and start-up and /readyz for readiness', () => {
    const { livenessProbe, readinessProbe, startupProbe } = app.container;
    expect(livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(startupProbe?.httpGet?.path).toBe('/healthz');
    expect(readinessProbe?.httpGet?.path).toBe('/readyz');
    for (const probe of [livenessProbe, readinessProbe, startupProbe]) {
      expect(HEALTH_PATHS).toContain(probe?.httpGet?.path);
      expect(probe?.httpGet?.port).toBe('http');
    }
  });

  test('exposes the named port http on PORT, and the Service targets it', () => {
    expect(app.container.ports).toEqual([
      { name: 'http', containerPort: config.port, protocol: 'TCP' },
    ]);
    const service = findObject<IService>(objects, 'Service', 'template-feed');
    expect(service.spec?.selector).toEqual(
      app.deployment.spec?.selector.matchLabels,
    );
    expect(service.spec?.ports).toEqual([
      expect.objectContaining({ name: 'http', targetPort: 'http' }),
    ]);
  });

  test('allows more grace than preStop plus DRAIN_TIMEOUT_SECONDS', () => {
    const podSpec = app.deployment.spec?.template.spec;
    const preStopSeconds = app.container.lifecycle?.preStop?.sleep?.seconds;
    expect(preStopSeconds).toBeGreaterThanOrEqual(5);
    expect(podSpec?.terminationGracePeriodSeconds).toBeGreaterThan(
      (preStopSeconds ?? 0) + config.drainTimeoutSeconds,
    );
  });

  test('runs as the pods service account', () => {
    const spec = app.deployment.spec?.template.spec;
    expect(spec?.serviceAccountName).toBe('template-feed');
    findObject(objects, 'ServiceAccount', 'template-feed');
  });

  test('runs every container non-root, read-only, with no capabilities', () => {
    const problems: string[] = [];
    for (const { pod, container } of allContainers(objects)) {
      const where = `${pod.name}/${container.name}`;
      const context = container.securityContext;
      if (pod.securityContext?.runAsNonRoot !== true) {
        problems.push(`${where}: pod not runAsNonRoot`);
      }
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') {
        problems.push(`${where}: pod seccomp not RuntimeDefault`);
      }
      if (context?.allowPrivilegeEscalation !== false) {
        problems.push(`${where}: allowPrivilegeEscalation not false`);
      }
      if (context?.readOnlyRootFilesystem !== true) {
        problems.push(`${where}: root file system writable`);
      }
      if (context?.capabilities?.drop?.join() !== 'ALL') {
        problems.push(`${where}: capabilities not dropped`);
      }
      if (container.resources?.requests?.cpu === undefined) {
        problems.push(`${where}: no CPU request`);
      }
      if (container.resources?.limits?.memory === undefined) {
        problems.push(`${where}: no memory limit`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('runs the app as uid 1000 with a writable /tmp only', () => {
    const pod = app.deployment.spec?.template.spec;
    expect(pod?.securityContext?.runAsUser).toBe(1000);
    expect(app.container.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(pod?.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
  });

  test('pins every image but the Skaffold artifact by tag', () => {
    for (const { container } of allContainers(objects)) {
      if (container.image === 'template-feed') continue;
      expect(container.image).toMatch(/^[^@\s]+:[\w][\w.-]*(@sha256:\w+)?$/);
      expect(container.image).not.toMatch(/:latest\b/);
    }
  });

  test('scales on the app container’s CPU, not the whole pod’s', () => {
    const autoscaler = findObject<IHorizontalPodAutoscaler>(
      objects,
      'HorizontalPodAutoscaler',
      'template-feed',
    );
    const cpu = (autoscaler.spec?.metrics ?? []).filter(
      (metric) =>
        metric.resource?.name === 'cpu' ||
        metric.containerResource?.name === 'cpu',
    );
    expect(cpu).toEqual([
      expect.objectContaining({
        type: 'ContainerResource',
        containerResource: expect.objectContaining({
          container: app.container.name,
        }) as unknown,
      }),
    ]);
    expect(app.container.resources?.requests?.cpu).toBeDefined();
  });

  test('tells Prometheus where the metrics are', () => {
    expect(app.deployment.spec?.template.metadata?.annotations).toEqual(
      expect.objectContaining({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(config.port),
        'prometheus.io/path': '/metrics',
      }),
    );
  });
});
