import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/** CPU in millicores and memory in MiB: what the scheduler adds up. */
export interface Resources {
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
}

/**
 * vCPUs and memory (GiB) of the machine types a node pool might use.
 * Compute Engine's "GB" for machine memory is GiB. Add a row before
 * choosing another type.
 */
const MACHINE_TYPES: Readonly<
  Record<string, { vcpus: number; memoryGibibytes: number }>
> = {
  'e2-standard-2': { vcpus: 2, memoryGibibytes: 8 },
  'e2-standard-4': { vcpus: 4, memoryGibibytes: 16 },
  'e2-standard-8': { vcpus: 8, memoryGibibytes: 32 },
  'e2-highcpu-4': { vcpus: 4, memoryGibibytes: 4 },
  'e2-highcpu-8': { vcpus: 8, memoryGibibytes: 8 },
  'n2-standard-2': { vcpus: 2, memoryGibibytes: 8 },
  'n2-standard-4': { vcpus: 4, memoryGibibytes: 16 },
  'n2-standard-8': { vcpus: 8, memoryGibibytes: 32 },
};

/**
 * What GKE's own DaemonSets on a Standard node request (kube-proxy,
 * fluentbit-gke, gke-metrics-agent, pdcsi-node, netd, and Managed Service
 * for Prometheus' collector), rounded up: they run on every node, so pods
 * get only what is left.
 */
export const DAEMONSET_REQUESTS: Resources = {
  cpuMillis: 300,
  memoryMebibytes: 512,
};

/** Sums `rate x amount` over consecutive tiers; the last tier is open. */
function tiered(amount: number, tiers: readonly [number, number][]): number {
  let reserved = 0;
  let left = amount;
  for (const [size, rate] of tiers) {
    const inTier = Math.min(left, size);
    reserved += inTier * rate;
    left -= inTier;
    if (left <= 0) break;
  }
  return reserved;
}

/**
 * A GKE Standard node's allocatable CPU and memory, by GKE's published
 * reservation ("Standard cluster architecture", node allocatable
 * resources): CPU 6% of the first core, 1% of the second, 0.5% of the
 * next two, 0.25% above four; memory 25% of the first 4 GiB, 20% of the
 * next 4, 10% of the next 8, 6% of the next 112, 2% above, plus a 100 MiB
 * eviction threshold. e2-standard-2 comes to 1930m and 6248 MiB.
 */
export function nodeAllocatable(machineType: string): Resources {
  const machine = MACHINE_TYPES[machineType];
  if (machine === undefined) {
    throw new Error(`add ${machineType} to MACHINE_TYPES`);
  }
  const cpu = machine.vcpus * 1000;
  const memory = machine.memoryGibibytes * 1024;
  return {
    cpuMillis: Math.floor(
      cpu -
        tiered(cpu, [
          [1000, 0.06],
          [1000, 0.01],
          [2000, 0.005],
          [Infinity, 0.0025],
        ]),
    ),
    memoryMebibytes: Math.floor(
      memory -
        tiered(memory, [
          [4096, 0.25],
          [4096, 0.2],
          [8192, 0.1],
          [114_688, 0.06],
          [Infinity, 0.02],
        ]) -
        100,
    ),
  };
}

/** "500m", "1", "1.5" -> millicores. */
function cpuMillis(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

/** "512Mi", "1Gi", "1G", plain bytes -> MiB. */
function memoryMebibytes(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(
    String(quantity),
  );
  if (match === null) throw new Error(`memory quantity ${quantity}`);
  const bytesPer: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return (Number(match[1]) * (bytesPer[match[2] ?? ''] ?? 1)) / 2 ** 20;
}

type ContainerLike = NonNullable<IPodSpec['initContainers']>[number];

function requestsOf(container: ContainerLike): Resources {
  const requests = container.resources?.requests ?? {};
  return {
    cpuMillis: cpuMillis(requests.cpu),
    memoryMebibytes: memoryMebibytes(requests.memory),
  };
}

const plus = (a: Resources, b: Resources): Resources => ({
  cpuMillis: a.cpuMillis + b.cpuMillis,
  memoryMebibytes: a.memoryMebibytes + b.memoryMebibytes,
});

const atLeast = (a: Resources, b: Resources): Resources => ({
  cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
  memoryMebibytes: Math.max(a.memoryMebibytes, b.memoryMebibytes),
});

/**
 * What the scheduler reserves for one pod: its sidecars (init containers
 * with restartPolicy Always) plus its containers, or, while a plain init
 * container runs, that one plus the sidecars started before it, whichever
 * is more (Kubernetes' effective pod request with native sidecars).
 */
export function podRequests(spec: IPodSpec): Resources {
  let sidecars: Resources = { cpuMillis: 0, memoryMebibytes: 0 };
  let initPeak: Resources = { cpuMillis: 0, memoryMebibytes: 0 };
  for (const init of spec.initContainers ?? []) {
    if (init.restartPolicy === 'Always') {
      sidecars = plus(sidecars, requestsOf(init));
    } else {
      initPeak = atLeast(initPeak, plus(sidecars, requestsOf(init)));
    }
  }
  const running = spec.containers.reduce(
    (total, container) => plus(total, requestsOf(container)),
    sidecars,
  );
  return atLeast(running, initPeak);
}

/** How many such pods one node holds next to GKE's DaemonSets. */
export function podsPerNode(machineType: string, pod: Resources): number {
  const allocatable = nodeAllocatable(machineType);
  return Math.min(
    Math.floor(
      (allocatable.cpuMillis - DAEMONSET_REQUESTS.cpuMillis) / pod.cpuMillis,
    ),
    Math.floor(
      (allocatable.memoryMebibytes - DAEMONSET_REQUESTS.memoryMebibytes) /
        pod.memoryMebibytes,
    ),
  );
}
