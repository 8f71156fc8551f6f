import { randomBytes } from 'node:crypto';
import { ProblemException } from '@iotwins/http';
import { ConnectorSecrets } from './connector-secrets';
import { publicConfig } from './connector.secret-field';

describe('ConnectorSecrets', () => {
  const secrets = new ConnectorSecrets(randomBytes(32).toString('base64'));

  it('seals every secret of a configuration so only the same tenant and connector open it', () => {
    const stored = secrets.sealConfig(
      {
        url: 'http://x',
        auth: { type: 'bearer', token: { value: 'tok-123' } },
        list: [{ value: 'p-2' }],
      },
      'tenant-a',
      'c1',
    );
    expect(JSON.stringify(stored)).not.toContain('tok-123');
    expect(JSON.stringify(stored)).not.toContain('p-2');
    expect(secrets.openField(stored.auth.token, 'tenant-a', 'c1')).toBe('tok-123');
    expect(secrets.openField(stored.list[0]!, 'tenant-a', 'c1')).toBe('p-2');
    expect(() => secrets.openField(stored.auth.token, 'tenant-b', 'c1')).toThrow();
    expect(() => secrets.openField(stored.auth.token, 'tenant-a', 'c2')).toThrow();
    expect(publicConfig(stored)).toEqual({
      url: 'http://x',
      auth: { type: 'bearer', token: { set: true } },
      list: [{ set: true }],
    });
  });

  it('refuses a sealed value sent by a client, naming its field', () => {
    let problem: ProblemException | undefined;
    try {
      secrets.sealConfig({ auth: { token: { sealed: 'abc' } } }, 'tenant-a', 'c1');
    } catch (error) {
      problem = error as ProblemException;
    }
    expect(problem?.problem.status).toBe(400);
    expect(JSON.stringify(problem?.problem)).toContain('/config/auth/token');
  });

  it('refuses to keep a secret without a key, with a problem naming the variable', () => {
    let problem: ProblemException | undefined;
    try {
      new ConnectorSecrets(undefined).sealConfig(
        { auth: { type: 'api-key', header: 'X-Key', key: { value: 'k' } } },
        'tenant-a',
        'c1',
      );
    } catch (error) {
      problem = error as ProblemException;
    }
    expect(problem?.problem.status).toBe(400);
    expect(problem?.problem.detail).toMatch(/CONNECTORS_SECRET_KEY/);
  });
});
