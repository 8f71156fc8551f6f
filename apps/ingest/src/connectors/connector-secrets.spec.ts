import { randomBytes } from 'node:crypto';
import { ProblemException } from '@iotwins/http';
import { ConnectorSecrets, publicAuth } from './connector-secrets';

describe('ConnectorSecrets', () => {
  const secrets = new ConnectorSecrets(randomBytes(32).toString('base64'));

  it('seals a secret so only the same tenant and connector open it', () => {
    const stored = secrets.sealAuth(
      { type: 'bearer', token: { value: 'tok-123' } },
      'tenant-a',
      'c1',
    );
    expect(JSON.stringify(stored)).not.toContain('tok-123');
    if (stored.type !== 'bearer') throw new Error('expected bearer');
    expect(secrets.open(stored.token, 'tenant-a', 'c1')).toBe('tok-123');
    expect(() => secrets.open(stored.token, 'tenant-b', 'c1')).toThrow();
    expect(publicAuth(stored)).toEqual({ type: 'bearer', token: { set: true } });
  });

  it('refuses to keep a secret without a key, with a problem naming the variable', () => {
    let problem: ProblemException | undefined;
    try {
      new ConnectorSecrets(undefined).sealAuth(
        { type: 'api-key', header: 'X-Key', key: { value: 'k' } },
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
