import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IContainer } from 'kubernetes-models/v1/Container';

import type { AppWorkload } from './appWorkload.js';

/**
 * Connections the app must leave free: PostgreSQL's
 * superuser_reserved_connections (3, usable only by a superuser, which on
 * Cloud SQL is Google's own cloudsqladmin, never us) and 10 for people and
 * tools (psql, Cloud SQL Studio, a migration run by hand).
 */
export const RESERVED_CONNECTIONS = 3 + 10;

/** PostgreSQL's own default, which the postgres image keeps. */
const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;

/**
 * Pods a rolling update adds on top of `replicas` (maxSurge, 25% when
 * unset). Kubernetes rounds a percentage of surge up.
 */
export function surgePods(deployment: IDeployment, replicas: number): number {
  const strategy = deployment.spec?.strategy;
  if (strategy?.type === 'Recreate') return 0;
  const maxSurge = strategy?.rollingUpdate?.maxSurge ?? '25%';
  if (typeof maxSurge === 'number') return maxSurge;
  const percent = /^(\d+)%$/.exec(maxSurge);
  if (percent === null) throw new Error(`maxSurge ${maxSurge} is not n or n%`);
  return Math.ceil((replicas * Number(percent[1])) / 100);
}

/**
 * The most app pods that can each hold a full pool at once: the
 * autoscaler's maxReplicas, a rollout's surge on top, and the previous
 * surge's worth of old pods still draining. The Deployment controller stops
 * counting a pod once it is terminating, so it starts the next wave while
 * the last one still runs preStop and DRAIN_TIMEOUT_SECONDS with its
 * connections open.
 */
export function peakPods(
  deployment: IDeployment,
  autoscaler: IHorizontalPodAutoscaler,
): number {
  const maxReplicas = autoscaler.spec?.maxReplicas;
  if (maxReplicas === undefined) throw new Error('autoscaler has no maximum');
  return maxReplicas + 2 * surgePods(deployment, maxReplicas);
}

/**
 * The database connections a deployment may hold at its busiest moment:
 * every peak pod's full pool (DATABASE_POOL_SIZE) and the reserve.
 */
export function peakConnections(
  app: Pick<AppWorkload, 'deployment' | 'environment'>,
  autoscaler: IHorizontalPodAutoscaler,
): number {
  const poolSize = app.environment.DATABASE_POOL_SIZE ?? '';
  if (!/^\d+$/.test(poolSize)) {
    throw new Error(`DATABASE_POOL_SIZE ${poolSize} is not a whole number`);
  }
  return (
    Number(poolSize) * peakPods(app.deployment, autoscaler) +
    RESERVED_CONNECTIONS
  );
}

/** max_connections of a postgres container: its `-c` flag, else 100. */
export function postgresMaxConnections(container: IContainer): number {
  const words = [...(container.command ?? []), ...(container.args ?? [])];
  for (const [index, word] of words.entries()) {
    const setting =
      word === '-c' ? words[index + 1] : /^-c(.+)$/.exec(word)?.[1];
    const value = /^max_connections=(\d+)$/.exec(setting ?? '')?.[1];
    if (value !== undefined) return Number(value);
  }
  return POSTGRES_DEFAULT_MAX_CONNECTIONS;
}
