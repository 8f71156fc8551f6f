import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const script = join(root, 'scripts/nats-tenant-accounts.sh');

const generate = (env: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-accounts-'));
  execFileSync('bash', [script, dir], { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
  return dir;
};

/** scripts/nats-tenant-accounts.sh: the per-tenant accounts nats.conf includes (decision 0012). */
describe('nats-tenant-accounts.sh', () => {
  it("matches deploy/nats/, which docker-compose mounts, for local.env's tenants", () => {
    const dir = generate({ NATS_TENANTS: 'tenant-a,tenant-b' });
    for (const file of ['platform-tenants.conf', 'tenant-accounts.conf'])
      expect(readFileSync(join(dir, file), 'utf8')).toBe(
        readFileSync(join(root, 'deploy/nats', file), 'utf8'),
      );
  });

  it('gives every tenant its account, its limits and its own subjects only', () => {
    const dir = generate({ NATS_TENANTS: ' t1, t2 ', NATS_TENANT_MAX_CONNECTIONS: '7' });
    const accounts = readFileSync(join(dir, 'tenant-accounts.conf'), 'utf8');
    expect(accounts.match(/^TENANT_\S+: \{/gm)).toEqual(['TENANT_t1: {', 'TENANT_t2: {']);
    expect(accounts.match(/max_connections: 7/g)).toHaveLength(2);
    const t1 = accounts.slice(accounts.indexOf('TENANT_t1'), accounts.indexOf('TENANT_t2'));
    expect(t1).toContain('subject: "telemetry.t1.>"');
    expect(t1).not.toMatch(/t2/);
    const platform = readFileSync(join(dir, 'platform-tenants.conf'), 'utf8');
    expect(platform).toContain('{ stream: "_INBOX_t2.>", accounts: [TENANT_t2] }');
  });

  it('refuses a tenant name that is not one subject token, and limits that are not numbers', () => {
    expect(() => generate({ NATS_TENANTS: 'a.b' })).toThrow(/cannot be a NATS account/);
    expect(() => generate({ NATS_TENANTS: 'a', NATS_TENANT_MAX_CONNECTIONS: '0' })).toThrow(
      /positive integers/,
    );
  });
});
