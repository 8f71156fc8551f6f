import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashSync } from 'bcryptjs';
import { freePort, repoRoot, uniqueName, waitFor } from '@iotwins/testing';
import { APPS, PRODUCTION_VALUES, scratch, tool } from './helm-chart.fixture';

/**
 * The charts' way to an operator: scripts/helm-push.sh packages them and pushes them with
 * credentials to an OCI registry as Harbor stores them. Harbor is built on the CNCF
 * distribution registry, which runs here on loopback with htpasswd auth. The charts are
 * pulled back by version and by digest, and must render exactly what was pushed.
 */
const USER = 'robot-ci';
const PASSWORD = randomBytes(12).toString('hex');
const appVersion = uniqueName('build');
const work = join(scratch, 'oci');
let registry: ChildProcess;
let host: string;
let helm: string;
let helm3: string;
let registryOutput = '';

/** Helm's own state (logins, caches) in a scratch dir, so nothing leaks between runs or users. */
const helmEnv = (name: string): NodeJS.ProcessEnv => ({
  ...process.env,
  HELM_REGISTRY_CONFIG: join(work, `${name}-registry.json`),
  HELM_CACHE_HOME: join(work, `${name}-cache`),
  HELM_CONFIG_HOME: join(work, `${name}-config`),
  HELM_DATA_HOME: join(work, `${name}-data`),
});
const run = (binary: string, args: string[], env: NodeJS.ProcessEnv, input = ''): string => {
  // helm pull writes into an existing directory only.
  const destination = args.indexOf('-d');
  if (destination >= 0) mkdirSync(args[destination + 1]!, { recursive: true });
  return execFileSync(binary, args, {
    encoding: 'utf8',
    env,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
};
const pushScript = resolve(repoRoot, 'scripts/helm-push.sh');

beforeAll(async () => {
  helm = tool('helm');
  helm3 = tool('helm3');
  const binary = tool('registry');
  mkdirSync(join(work, 'storage'), { recursive: true });
  writeFileSync(join(work, 'htpasswd'), `${USER}:${hashSync(PASSWORD, 10)}\n`);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  writeFileSync(
    join(work, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${join(work, 'storage')} } }`,
      `http: { addr: "${host}", secret: ${randomBytes(16).toString('hex')} }`,
      `auth: { htpasswd: { realm: iotwins-ci, path: ${join(work, 'htpasswd')} } }`,
    ].join('\n'),
  );
  registry = spawn(binary, ['serve', join(work, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    registryOutput = (registryOutput + chunk.toString()).slice(-10_000);
  };
  registry.stdout?.on('data', keep);
  registry.stderr?.on('data', keep);
  // The registry is up when /v2/ asks for credentials.
  await waitFor(
    'the registry to answer',
    async () => (await fetch(`http://${host}/v2/`)).status === 401,
  );
}, 900_000);

afterAll(() => {
  registry?.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

describe('charts pushed to an OCI registry with credentials and pulled back', () => {
  const pushed = new Map<string, string>();

  it('pushes every chart with scripts/helm-push.sh, versioned by the repo and the build', () => {
    const env = {
      ...helmEnv('push'),
      HELM_REGISTRY_USERNAME: USER,
      HELM_REGISTRY_PASSWORD: PASSWORD,
      HELM_REGISTRY_PLAIN_HTTP: 'true',
      APP_VERSION: appVersion,
    };
    let output: string;
    try {
      output = run('bash', [pushScript, 'push', `oci://${host}/iotwins`], env);
    } catch (error) {
      throw new Error(`${(error as { stderr?: string }).stderr}\nregistry log:\n${registryOutput}`);
    }
    for (const line of output.trim().split('\n')) {
      const match =
        /^pushed (\S+)-(\d+\.\d+\.\d+) app-version (\S+) digest (sha256:[a-f0-9]{64})$/.exec(line);
      expect([line, match !== null]).toEqual([line, true]);
      expect(match![3]).toBe(appVersion);
      pushed.set(match![1]!, match![4]!);
    }
    expect([...pushed.keys()].sort()).toEqual(
      ['iotwins', 'iotwins-lib', ...APPS.map((app) => `iotwins-${app}`)].sort(),
    );
    // The wrong password is refused: Harbor's robot accounts are the only way in.
    expect(() =>
      run('bash', [pushScript, 'push', `oci://${host}/iotwins`], {
        ...env,
        HELM_REGISTRY_PASSWORD: 'wrong',
      }),
    ).toThrow();
  });

  it('refuses to hand out a chart without credentials', () => {
    const anonymous = helmEnv('anonymous');
    let message = '';
    try {
      run(
        helm,
        ['pull', `oci://${host}/iotwins/iotwins`, '--version', '0.1.0', '--plain-http', '-d', work],
        anonymous,
      );
    } catch (error) {
      message = String((error as { stderr?: string }).stderr);
    }
    expect(message).toMatch(/401|unauthorized|basic credential/i);
  });

  it('pulls back by version and by digest, and renders byte-identical manifests', () => {
    const env = helmEnv('pull');
    run(
      helm,
      ['registry', 'login', host, '-u', USER, '--password-stdin', '--plain-http'],
      env,
      PASSWORD,
    );
    // The reference: the same build packaged locally by the same script.
    const local = join(work, 'local');
    run('bash', [pushScript, 'package', local], { ...env, APP_VERSION: appVersion });
    const render = (chart: string): string =>
      run(
        helm,
        ['template', 'iotwins', chart, '--namespace', 'iotwins', '-f', PRODUCTION_VALUES],
        env,
      );
    const expected = render(join(local, 'iotwins-0.1.0.tgz'));
    expect(expected).toContain(`harbor.example.org/iotwins/ingest:${appVersion}`);

    const byVersion = join(work, 'by-version');
    const versionOutput = run(
      helm,
      [
        'pull',
        `oci://${host}/iotwins/iotwins`,
        '--version',
        '0.1.0',
        '--plain-http',
        '-d',
        byVersion,
      ],
      env,
    );
    // What the registry says it served is what the push stored.
    expect(versionOutput).toContain(`Digest: ${pushed.get('iotwins')}`);
    expect(readdirSync(byVersion)).toEqual(['iotwins-0.1.0.tgz']);
    expect(render(join(byVersion, 'iotwins-0.1.0.tgz'))).toBe(expected);

    const byDigest = join(work, 'by-digest');
    run(
      helm,
      [
        'pull',
        `oci://${host}/iotwins/iotwins@${pushed.get('iotwins')}`,
        '--plain-http',
        '-d',
        byDigest,
      ],
      env,
    );
    // Helm 4 names a package pulled by digest after the digest.
    const [digestFile, ...more] = readdirSync(byDigest);
    expect(more).toEqual([]);
    expect(digestFile).toMatch(/^iotwins.*\.tgz$/);
    expect(render(join(byDigest, digestFile!))).toBe(expected);

    // An app chart alone, pulled with Helm 3 as older operators still do.
    const ingest = join(work, 'ingest');
    run(
      helm3,
      ['registry', 'login', host, '-u', USER, '--password-stdin', '--plain-http'],
      helmEnv('helm3'),
      PASSWORD,
    );
    run(
      helm3,
      [
        'pull',
        `oci://${host}/iotwins/iotwins-ingest`,
        '--version',
        '0.1.0',
        '--plain-http',
        '-d',
        ingest,
      ],
      helmEnv('helm3'),
    );
    const renderIngest = (chart: string): string => run(helm, ['template', 'ingest', chart], env);
    expect(renderIngest(join(ingest, 'iotwins-ingest-0.1.0.tgz'))).toBe(
      renderIngest(join(local, 'iotwins-ingest-0.1.0.tgz')),
    );
  });
});
