import net from 'node:net';
import path from 'node:path';

import type { PubSub } from '@google-cloud/pubsub';

import { DEFAULT_EMULATOR_PORT } from '../../src/cli/clusterOptions.js';
import { isPortFree } from '../../src/cli/isPortFree.js';
import { builtDist, type BuiltDist } from '../support/builtDist.js';
import { connectFeed } from '../support/feedClient.js';
import { addTemplate } from '../support/graphqlHttp.js';
import {
  emulatorAdmin,
  sharedEmulatorHost,
} from '../support/pubsubEmulator.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import { seedUserTokens } from '../support/tokens.js';
import {
  subscriptionsOf,
  uniqueSuffix,
  type ClusterEndpoint,
} from './clusterKit.js';
import { runCrossInstanceScenario } from './crossInstanceScenario.js';
import {
  freePortRange,
  runCluster,
  type RunningCluster,
} from './runCluster.js';

/** The endpoints of a cluster's instances, from its "cluster ready" line. */
async function readyEndpoints(
  cluster: RunningCluster,
): Promise<ClusterEndpoint[]> {
  const ready = await cluster.waitForLine(
    (line) =>
      line.source === 'cluster' &&
      String(line.json?.message).startsWith('cluster ready'),
  );
  const urls = ready.json?.graphqlUrls as string[];
  return urls.map((graphqlUrl, index) => ({
    label: `instance-${index + 1}`,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
  }));
}

/** zowi shares through `from`; zolo, connected to `to`, receives it. */
async function expectDeliveredAcross(
  from: ClusterEndpoint,
  to: ClusterEndpoint,
): Promise<void> {
  const tokens = await seedUserTokens();
  const zolo = await connectFeed(to.wsUrl, tokens.zolo, { label: 'zolo' });
  try {
    await zolo.barrier();
    const template = await addTemplate(from.graphqlUrl, tokens.zowi!, {
      name: 'Across instances',
      shareLocationIds: ['location-3'],
    });
    await zolo.waitForCount(1);
    expect(zolo.received.map((received) => received.id)).toEqual([template.id]);
    expect(zolo.errors).toEqual([]);
  } finally {
    await zolo.dispose();
  }
}

async function listenOn(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return server;
}

// `npm start` is `npm run build && node dist/cli/cluster.js`; these run the
// built cluster.js as a terminal would, and stop it with Ctrl-C.
describe('npm start (node dist/cli/cluster.js)', () => {
  let built: BuiltDist;
  let database: TestDatabase;
  const clusters: RunningCluster[] = [];

  function start(env: Record<string, string>): RunningCluster {
    const cluster = runCluster(path.join(built.directory, 'cli/cluster.js'), {
      DATABASE_URL: database.url,
      ...env,
    });
    clusters.push(cluster);
    return cluster;
  }

  beforeAll(async () => {
    [built, database] = await Promise.all([
      builtDist(),
      createTestDatabase('tf_cluster'),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clusters.map((cluster) => cluster.killAll()));
    built.remove();
    await database.drop();
  });

  it('runs four instances on consecutive ports over the Pub/Sub emulator, and one Ctrl-C stops them all, deleting their subscriptions', async () => {
    const topicName = `tf-npm-start-${uniqueSuffix()}`;
    const basePort = await freePortRange(4);
    const admin: PubSub = emulatorAdmin(sharedEmulatorHost());
    try {
      const cluster = start({
        CLUSTER_BASE_PORT: String(basePort),
        PUBSUB_EMULATOR_HOST: sharedEmulatorHost(),
        PUBSUB_TOPIC: topicName,
      });
      const endpoints = await readyEndpoints(cluster);

      // Four instances, each with its own port, INSTANCE_ID, subscription,
      // and every line prefixed with the instance that wrote it.
      expect(endpoints.map((endpoint) => endpoint.graphqlUrl)).toEqual(
        [0, 1, 2, 3].map(
          (index) => `http://127.0.0.1:${basePort + index}/graphql`,
        ),
      );
      for (const [index, instanceId] of [
        'instance-1',
        'instance-2',
        'instance-3',
        'instance-4',
      ].entries()) {
        expect(cluster.logged(instanceId, 'template-feed started')).toEqual([
          expect.objectContaining({
            instanceId,
            port: basePort + index,
            bus: 'pubsub',
            subscriptionName: `${topicName}-${instanceId}`,
          }),
        ]);
      }
      for (const line of cluster.lines) {
        if (line.json !== undefined && line.source.startsWith('instance-')) {
          expect(line.json.instanceId).toBe(line.source);
        }
      }
      expect((await subscriptionsOf(admin, topicName)).sort()).toEqual(
        [1, 2, 3, 4].map((n) => `${topicName}-instance-${n}`),
      );

      await runCrossInstanceScenario(endpoints);

      cluster.pressCtrlC();
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      for (const instanceId of [
        'instance-1',
        'instance-2',
        'instance-3',
        'instance-4',
      ]) {
        expect(
          cluster.logged(instanceId, 'pubsub subscription deleted'),
        ).toHaveLength(1);
        // One signal each, from the cluster: never the "exit now" path.
        expect(
          cluster.logged(instanceId, 'second signal, exiting at once'),
        ).toEqual([]);
      }
      expect(cluster.logged('cluster', 'cluster stopped')).toEqual([
        expect.objectContaining({ exitCode: 0 }),
      ]);
      expect(await subscriptionsOf(admin, topicName)).toEqual([]);
      for (let index = 0; index < 4; index += 1) {
        expect(await isPortFree(basePort + index)).toBe(true);
      }
    } finally {
      await admin.close();
    }
  }, 240_000);

  it('keeps serving with the other instances when one is stopped, as pods do, and still stops cleanly on Ctrl-C', async () => {
    const topicName = `tf-npm-start-${uniqueSuffix()}`;
    const basePort = await freePortRange(3);
    const cluster = start({
      CLUSTER_INSTANCES: '3',
      CLUSTER_BASE_PORT: String(basePort),
      PUBSUB_EMULATOR_HOST: sharedEmulatorHost(),
      PUBSUB_TOPIC: topicName,
    });
    const [one, two] = (await readyEndpoints(cluster)) as [
      ClusterEndpoint,
      ClusterEndpoint,
    ];
    const [third] = cluster
      .logged('cluster', 'instance starting')
      .filter((line) => line.instance === 'instance-3');
    process.kill(Number(third?.childPid), 'SIGTERM');

    const stopped = await cluster.waitForLine(
      (line) =>
        line.source === 'cluster' &&
        line.json?.message === 'instance stopped; the others carry on',
    );
    expect(stopped.json).toMatchObject({
      level: 'warn',
      instance: 'instance-3',
      code: 0,
      running: ['instance-1', 'instance-2'],
    });
    expect(cluster.logged('instance-3', 'pubsub subscription deleted')).toEqual(
      [
        expect.objectContaining({
          subscriptionName: `${topicName}-instance-3`,
        }),
      ],
    );

    await expectDeliveredAcross(one, two);

    cluster.pressCtrlC();
    expect(await cluster.exited).toEqual({ code: 0, signal: null });
    expect(cluster.logged('cluster', 'cluster stopped')).toEqual([
      expect.objectContaining({ exitCode: 0 }),
    ]);
  }, 240_000);

  it('stops cleanly, exit 0, once every instance was stopped by hand', async () => {
    const basePort = await freePortRange(1);
    const cluster = start({
      CLUSTER_INSTANCES: '1',
      CLUSTER_BASE_PORT: String(basePort),
      BUS: 'memory',
    });
    await readyEndpoints(cluster);
    const [only] = cluster.logged('cluster', 'instance starting');
    process.kill(Number(only?.childPid), 'SIGTERM');

    expect(await cluster.exited).toEqual({ code: 0, signal: null });
    expect(
      cluster.logged('cluster', 'last instance stopped; stopping the cluster'),
    ).toEqual([
      expect.objectContaining({ level: 'info', instance: 'instance-1' }),
    ]);
  }, 240_000);

  it('starts a Pub/Sub emulator of its own when none is named, on another port when 8085 is taken, and stops it after the instances', async () => {
    const basePort = await freePortRange(2);
    // Unless something already listens on 8085, something does now.
    const squatter = (await isPortFree(DEFAULT_EMULATOR_PORT))
      ? await listenOn(DEFAULT_EMULATOR_PORT)
      : undefined;
    let emulatorPort: number;
    try {
      const cluster = start({
        CLUSTER_INSTANCES: '2',
        CLUSTER_BASE_PORT: String(basePort),
      });
      const [one, two] = (await readyEndpoints(cluster)) as [
        ClusterEndpoint,
        ClusterEndpoint,
      ];
      const [moved] = cluster.logged(
        'cluster',
        'port 8085 is in use; the pubsub emulator listens on another port',
      );
      expect(moved).toMatchObject({ level: 'warn', busyPort: 8085 });
      emulatorPort = Number(moved?.port);
      expect(cluster.logged('cluster', 'pubsub emulator started')).toEqual([
        expect.objectContaining({
          emulatorHost: `127.0.0.1:${emulatorPort}`,
        }),
      ]);

      await expectDeliveredAcross(one, two);

      cluster.pressCtrlC();
      expect(await cluster.exited).toEqual({ code: 0, signal: null });
      const messages = cluster.lines.map(
        (line) => `${line.source}: ${String(line.json?.message)}`,
      );
      const emulatorStopped = messages.indexOf(
        'cluster: pubsub emulator stopped',
      );
      for (const instanceId of ['instance-1', 'instance-2']) {
        const deleted = `${instanceId}: pubsub subscription deleted`;
        expect(messages.filter((message) => message === deleted)).toHaveLength(
          1,
        );
        expect(emulatorStopped).toBeGreaterThan(messages.indexOf(deleted));
      }
    } finally {
      await new Promise((resolve) => squatter?.close(resolve) ?? resolve(0));
    }
    expect(await isPortFree(emulatorPort)).toBe(true);
  }, 240_000);

  it('falls back to BUS=postgres, saying so, when there is no Pub/Sub emulator; pretty lines with LOG_FORMAT=pretty', async () => {
    const basePort = await freePortRange(2);
    const cluster = start({
      CLUSTER_INSTANCES: '2',
      CLUSTER_BASE_PORT: String(basePort),
      PUBSUB_EMULATOR_LAUNCHER: '/nonexistent/cloud-pubsub-emulator',
      LOG_FORMAT: 'pretty',
    });
    await cluster.waitForLine(
      (line) => line.source === 'cluster' && /cluster ready/.test(line.text),
    );
    const endpoint = (index: number): ClusterEndpoint => ({
      label: `instance-${index + 1}`,
      graphqlUrl: `http://127.0.0.1:${basePort + index}/graphql`,
      wsUrl: `ws://127.0.0.1:${basePort + index}/graphql`,
    });

    // "[source] [HH:MM:SS.mmm] LEVEL: message {fields}", uncoloured in a pipe.
    const pretty = /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /;
    const fallback = cluster.lines.find((line) =>
      line.text.includes('using BUS=postgres'),
    );
    expect(fallback).toMatchObject({ source: 'cluster' });
    expect(fallback?.text).toMatch(/^\[[\d:.]+\] WARN: no Pub\/Sub emulator/);
    for (const instanceId of ['instance-1', 'instance-2']) {
      const started = cluster.lines.find(
        (line) =>
          line.source === instanceId &&
          line.text.includes('template-feed started'),
      );
      expect(started?.text).toMatch(pretty);
      expect(started?.text).toContain('"bus":"postgres"');
    }

    await expectDeliveredAcross(endpoint(0), endpoint(1));

    cluster.pressCtrlC();
    expect(await cluster.exited).toEqual({ code: 0, signal: null });
    expect(
      cluster.lines.filter((line) =>
        line.text.includes('template-feed stopped'),
      ),
    ).toHaveLength(2);
  }, 240_000);

  it('refuses to start, in one line naming CLUSTER_BASE_PORT, when an instance port is taken', async () => {
    const basePort = await freePortRange(2);
    const squatter = await listenOn(basePort + 1);
    try {
      const cluster = start({
        CLUSTER_INSTANCES: '2',
        CLUSTER_BASE_PORT: String(basePort),
        BUS: 'memory',
      });
      expect(await cluster.exited).toEqual({ code: 1, signal: null });
      const errors = cluster.lines.filter((line) => line.stream === 'stderr');
      expect(errors.map((line) => line.text)).toEqual([
        `CLUSTER_BASE_PORT is ${basePort}, but port ${basePort + 1} ` +
          '(instance-2) is in use: stop what listens there or choose ' +
          'another CLUSTER_BASE_PORT',
      ]);
      expect(cluster.logged('cluster', 'instance starting')).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('refuses to start, in one line naming PUBSUB_EMULATOR_PORT, when that port is taken', async () => {
    const basePort = await freePortRange(1);
    const squatter = await listenOn(0);
    const takenPort = (squatter.address() as net.AddressInfo).port;
    try {
      const cluster = start({
        CLUSTER_INSTANCES: '1',
        CLUSTER_BASE_PORT: String(basePort),
        PUBSUB_EMULATOR_PORT: String(takenPort),
      });
      expect(await cluster.exited).toEqual({ code: 1, signal: null });
      const errors = cluster.lines.filter((line) => line.stream === 'stderr');
      expect(errors.map((line) => line.text)).toEqual([
        `PUBSUB_EMULATOR_PORT is ${takenPort}, which is in use: choose ` +
          'another port, or set ' +
          `PUBSUB_EMULATOR_HOST=127.0.0.1:${takenPort} if an emulator runs there`,
      ]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
