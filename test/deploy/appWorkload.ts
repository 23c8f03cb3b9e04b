import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';

import {
  findObject,
  secretValues,
  type RenderedObject,
} from './renderKustomize.js';

/** template-feed's Deployment and container as one overlay renders them. */
export interface AppWorkload {
  readonly deployment: IDeployment;
  readonly container: IContainer;
  /** Every variable name the container gets, from env and envFrom. */
  readonly variableNames: readonly string[];
  /**
   * The values Kubernetes would set: literals, ConfigMap and rendered Secret
   * entries, and `fieldRef` paths resolved against a pod named `podName`.
   * Variables from a Secret the overlay does not render are absent.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** env entries that read a key of a Secret, by variable name. */
  readonly secretReferences: ReadonlyMap<
    string,
    { readonly secret: string; readonly key: string; optional: boolean }
  >;
}

export const APP_NAME = 'template-feed';

/** Looks up the app container and resolves where each variable comes from. */
export function appWorkload(
  objects: readonly RenderedObject[],
  podName = 'template-feed-5d8f7c9b6-x2x7q',
): AppWorkload {
  const deployment = findObject<IDeployment>(objects, 'Deployment', APP_NAME);
  const container = deployment.spec?.template.spec?.containers.find(
    (candidate) => candidate.name === APP_NAME,
  );
  if (container === undefined) throw new Error('no template-feed container');

  const variableNames: string[] = [];
  const environment: Record<string, string> = {};
  const secretReferences = new Map<
    string,
    { secret: string; key: string; optional: boolean }
  >();
  const renderedSecret = (name: string): Record<string, string> | undefined => {
    const secret = objects.find(
      (object) => object.kind === 'Secret' && object.metadata.name === name,
    );
    return secret === undefined ? undefined : secretValues(secret);
  };

  for (const source of container.envFrom ?? []) {
    let entries: Record<string, string> | undefined;
    if (source.configMapRef !== undefined) {
      entries = findObject<{ data?: Record<string, string> }>(
        objects,
        'ConfigMap',
        source.configMapRef.name ?? '',
      ).data;
    } else if (source.secretRef !== undefined) {
      entries = renderedSecret(source.secretRef.name ?? '');
      if (entries === undefined) {
        throw new Error('envFrom names a Secret the overlay does not render');
      }
    }
    for (const [name, value] of Object.entries(entries ?? {})) {
      variableNames.push(`${source.prefix ?? ''}${name}`);
      environment[`${source.prefix ?? ''}${name}`] = value;
    }
  }

  for (const variable of container.env ?? []) {
    variableNames.push(variable.name);
    const value = resolveEnvVar(variable, podName, renderedSecret);
    if (value !== undefined) environment[variable.name] = value;
    const secretKey = variable.valueFrom?.secretKeyRef;
    if (secretKey !== undefined) {
      secretReferences.set(variable.name, {
        secret: secretKey.name ?? '',
        key: secretKey.key,
        optional: secretKey.optional ?? false,
      });
    }
  }

  return {
    deployment,
    container,
    variableNames,
    environment,
    secretReferences,
  };
}

function resolveEnvVar(
  variable: IEnvVar,
  podName: string,
  renderedSecret: (name: string) => Record<string, string> | undefined,
): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (from?.fieldRef?.fieldPath === 'metadata.name') return podName;
  if (from?.secretKeyRef !== undefined) {
    return renderedSecret(from.secretKeyRef.name ?? '')?.[
      from.secretKeyRef.key
    ];
  }
  return undefined;
}

/** Every container and init container of every rendered Deployment. */
export function allContainers(objects: readonly RenderedObject[]): {
  pod: { name: string; securityContext: IPodSecurityContext | undefined };
  container: IContainer;
}[] {
  return objects
    .filter((object) => object.kind === 'Deployment')
    .flatMap((object) => {
      const spec = (object as unknown as IDeployment).spec?.template.spec;
      const pod = {
        name: object.metadata.name,
        securityContext: spec?.securityContext,
      };
      return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map(
        (container) => ({ pod, container }),
      );
    });
}
