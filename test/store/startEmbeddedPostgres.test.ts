import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import {
  startEmbeddedPostgres,
  type RunningEmbeddedPostgres,
} from '../../src/store/startEmbeddedPostgres.js';
import { freePort } from '../support/pubsubEmulator.js';
import { ADMIN_DATABASE_URL } from '../support/testDatabase.js';
import { rejectionOf } from './storeContract.js';
import { captureLogs, type LogLine } from '../support/captureLogs.js';

const INSTANCE_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures/embeddedPostgresInstance.ts',
);

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>(
      "SELECT current_setting('server_version') AS version",
    );
    return rows[0]?.version ?? '';
  } finally {
    await client.end();
  }
}

async function refusesConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 'ECONNREFUSED';
  }
}

const messages = (lines: readonly LogLine[]): string[] =>
  lines.map((line) => line.message);

describe('startEmbeddedPostgres', () => {
  let parent: string;
  const started: RunningEmbeddedPostgres[] = [];

  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'tf-embedded-'));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((embedded) => embedded.stop()));
    await fs.rm(parent, { recursive: true, force: true });
  });

  it('initialises and starts a server in a new directory; a concurrent call reuses it', async () => {
    const { logger, lines } = captureLogs('debug');
    const dataDir = path.join(parent, 'postgres');
    const port = await freePort();

    const both = await Promise.all([
      startEmbeddedPostgres({ dataDir, port, logger }),
      startEmbeddedPostgres({ dataDir, port, logger }),
    ]);
    started.push(...both);

    expect(both.map((embedded) => embedded.startedHere).sort()).toEqual([
      false,
      true,
    ]);
    const [first, second] = both;
    expect(first?.url).toBe(second?.url);
    expect(first?.url).toBe(
      `postgres://postgres:postgres@127.0.0.1:${port}/template_feed`,
    );
    expect(await serverVersion(first?.url ?? '')).toMatch(/^18\./);
    expect(
      messages(lines).filter(
        (m) => m === 'initialising the embedded PostgreSQL',
      ),
    ).toHaveLength(1);
    // The server's chatter is there for whoever wants it, at debug only.
    const chatter = lines.filter((line) => line.message === 'postgres output');
    expect(chatter.length).toBeGreaterThan(0);
    expect(new Set(chatter.map((line) => line.level))).toEqual(
      new Set(['debug']),
    );
  });

  it('keeps the server running while another client uses it; the last to leave stops it', async () => {
    const { logger, lines } = captureLogs('info');
    const dataDir = path.join(parent, 'postgres');
    const port = await freePort();
    const owner = await startEmbeddedPostgres({ dataDir, port, logger });
    started.push(owner);
    const guest = await startEmbeddedPostgres({ dataDir, port, logger });
    // The guest's own connection, as its store's pool would hold.
    const guestClient = new pg.Client({ connectionString: guest.url });
    await guestClient.connect();

    expect(owner.startedHere).toBe(true);
    expect(guest.startedHere).toBe(false);
    await owner.stop();
    await owner.stop();
    expect(await serverVersion(guest.url)).toMatch(/^18\./);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message:
          'embedded PostgreSQL left running for the instances still using it',
        otherClients: 1,
      }),
    );

    await guestClient.end();
    await guest.stop();
    expect(await refusesConnections(guest.url)).toBe(true);
    expect(messages(lines)).toContain('embedded PostgreSQL stopped');
  });

  it('starts again from the directory it initialised, without initialising again', async () => {
    const { logger, lines } = captureLogs('info');
    const dataDir = path.join(parent, 'postgres');
    const port = await freePort();
    const before = await startEmbeddedPostgres({ dataDir, port, logger });
    const client = new pg.Client({ connectionString: before.url });
    await client.connect();
    await client.query('CREATE TABLE kept (value text)');
    await client.query(`INSERT INTO kept VALUES ('still here')`);
    await client.end();
    await before.stop();
    lines.length = 0;

    const after = await startEmbeddedPostgres({ dataDir, port, logger });
    started.push(after);

    expect(after.startedHere).toBe(true);
    expect(messages(lines)).not.toContain(
      'initialising the embedded PostgreSQL',
    );
    const reader = new pg.Client({ connectionString: after.url });
    await reader.connect();
    const { rows } = await reader.query('SELECT value FROM kept');
    await reader.end();
    expect(rows).toEqual([{ value: 'still here' }]);
  });

  it('refuses a port served by some other PostgreSQL', async () => {
    const { logger } = captureLogs('silent');
    const otherPort = Number(new URL(ADMIN_DATABASE_URL).port || 5432);

    const err = await rejectionOf(
      startEmbeddedPostgres({
        dataDir: path.join(parent, 'postgres'),
        port: otherPort,
        logger,
      }),
    );

    expect((err as Error).message).toContain(`port ${otherPort}`);
    expect((err as Error).message).toContain(
      'choose another port with EMBEDDED_PG_PORT',
    );
  });

  it('takes over a lock file left by a process that died', async () => {
    const { logger, lines } = captureLogs('warn');
    const dataDir = path.join(parent, 'postgres');
    // A pid that cannot be running: above the kernel's maximum.
    await fs.writeFile(
      `${dataDir}.lock`,
      JSON.stringify({ pid: 2 ** 22 + 1, hostname: os.hostname(), token: 'x' }),
    );

    const embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      logger,
      lockTimeoutMillis: 10_000,
    });
    started.push(embedded);

    expect(embedded.startedHere).toBe(true);
    expect(messages(lines)).toContain('breaking a stale lock file');
    await expect(fs.access(`${dataDir}.lock`)).rejects.toThrow();
  });
});

describe('startEmbeddedPostgres across processes', () => {
  interface Instance {
    readonly child: ChildProcess;
    readonly ready: Promise<{ url: string; startedHere: boolean }>;
    readonly logs: LogLine[];
    readonly exited: Promise<unknown>;
  }

  let parent: string;
  const instances: Instance[] = [];

  beforeEach(async () => {
    parent = await fs.mkdtemp(path.join(os.tmpdir(), 'tf-embedded-'));
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) {
      if (instance.child.exitCode === null) instance.child.stdin?.end();
      await instance.exited;
    }
    await fs.rm(parent, { recursive: true, force: true });
  });

  function launch(dataDir: string, port: number): Instance {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', INSTANCE_SCRIPT, dataDir, String(port)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const logs: LogLine[] = [];
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 'raw', message: line });
      }
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const ready = new Promise<{ url: string; startedHere: boolean }>(
      (resolve, reject) => {
        readline
          .createInterface({ input: child.stdout })
          .once('line', (line) =>
            resolve(JSON.parse(line) as { url: string; startedHere: boolean }),
          );
        void exited.then(() =>
          reject(new Error(`instance exited early:\n${JSON.stringify(logs)}`)),
        );
      },
    );
    const instance = { child, ready, logs, exited };
    instances.push(instance);
    return instance;
  }

  it('initialises and starts the server once when four instances start at the same moment', async () => {
    const dataDir = path.join(parent, 'postgres');
    const port = await freePort();

    const four = Array.from({ length: 4 }, () => launch(dataDir, port));
    const results = await Promise.all(four.map((instance) => instance.ready));

    expect(results.filter((r) => r.startedHere)).toHaveLength(1);
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    const allMessages = four.flatMap((instance) => messages(instance.logs));
    expect(
      allMessages.filter((m) => m === 'initialising the embedded PostgreSQL'),
    ).toHaveLength(1);
    expect(
      allMessages.filter((m) => m === 'embedded PostgreSQL started'),
    ).toHaveLength(1);
    expect(await serverVersion(results[0]?.url ?? '')).toMatch(/^18\./);

    // The one that started it leaves first: the others keep their
    // database, and each leaves in turn until the last one stops it.
    const url = results[0]?.url ?? '';
    const ownerIndex = results.findIndex((r) => r.startedHere);
    const owner = four[ownerIndex]!;
    const guests = four.filter((_, index) => index !== ownerIndex);
    owner.child.stdin?.end('stop\n');
    await owner.exited;
    expect(owner.child.exitCode).toBe(0);
    for (const guest of guests.slice(0, -1)) {
      expect(await serverVersion(url)).toMatch(/^18\./);
      guest.child.stdin?.end('stop\n');
      await guest.exited;
    }
    expect(await serverVersion(url)).toMatch(/^18\./);

    const last = guests.at(-1)!;
    last.child.stdin?.end('stop\n');
    await last.exited;
    expect(await refusesConnections(results[0]?.url ?? '')).toBe(true);
  });
});
