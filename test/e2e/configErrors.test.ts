import { freePort } from '../support/pubsubEmulator.js';
import { runInstanceToExit } from '../support/startInstance.js';
import { createTestDatabase } from '../support/testDatabase.js';

/**
 * Runs an instance with `env` and expects it to refuse to start: a non-zero
 * exit and exactly one line on stderr, naming `variable`.
 */
async function expectRefusal(
  env: Record<string, string>,
  variable: string,
): Promise<string> {
  const result = await runInstanceToExit({ env });
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(variable);
  return lines[0]!;
}

describe('start-up with bad configuration', () => {
  it('refuses a PORT that is not a port number', async () => {
    const line = await expectRefusal(
      { PORT: 'eighty', DATABASE_URL: 'postgres://127.0.0.1:5432/x' },
      'PORT',
    );
    expect(line).toBe(
      'PORT must be a whole number from 0 to 65535 (got "eighty")',
    );
  });

  it('refuses a PORT beyond 65535', async () => {
    await expectRefusal(
      { PORT: '70000', DATABASE_URL: 'postgres://127.0.0.1:5432/x' },
      'PORT',
    );
  });

  it('refuses a BUS it does not know', async () => {
    const line = await expectRefusal(
      { BUS: 'kafka', DATABASE_URL: 'postgres://127.0.0.1:5432/x' },
      'BUS',
    );
    expect(line).toContain('kafka');
  });

  it('refuses a DATABASE_URL that is not a postgres URL', async () => {
    await expectRefusal(
      { BUS: 'memory', DATABASE_URL: 'mysql://127.0.0.1/x' },
      'DATABASE_URL',
    );
  });

  it('refuses a DATABASE_URL nothing answers at, without printing its password', async () => {
    const line = await expectRefusal(
      {
        BUS: 'memory',
        // Port 9 (discard) is closed on loopback: connections are refused.
        DATABASE_URL: 'postgres://feed:s3cret-pw@127.0.0.1:9/template_feed',
      },
      'DATABASE_URL',
    );
    expect(line).not.toContain('s3cret-pw');
    // The store retries an unreachable database for 15 s before giving up.
  }, 120_000);

  it('refuses a PUBSUB_EMULATOR_HOST where no emulator answers, in one short line naming it', async () => {
    const database = await createTestDatabase('tf_config');
    try {
      const port = await freePort();
      const line = await expectRefusal(
        {
          BUS: 'pubsub',
          PUBSUB_EMULATOR_HOST: `127.0.0.1:${port}`,
          DATABASE_URL: database.url,
        },
        'PUBSUB_EMULATOR_HOST',
      );
      expect(line).toMatch(
        new RegExp(
          `^PUBSUB_EMULATOR_HOST is 127\\.0\\.0\\.1:${port}, and no ` +
            'Pub/Sub emulator answered there',
        ),
      );
      // The cause, not the client library's kilobytes of retry history.
      expect(line).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
      expect(line.length).toBeLessThan(400);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('refuses production without a JWT secret or JWKS URL', async () => {
    await expectRefusal(
      {
        NODE_ENV: 'production',
        BUS: 'memory',
        DATABASE_URL: 'postgres://127.0.0.1:5432/x',
      },
      'AUTH_JWT_SECRET',
    );
  });
});
