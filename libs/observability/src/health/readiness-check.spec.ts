import { ReadinessTimeoutError, probeWithTimeout } from './readiness-check';

describe('probeWithTimeout', () => {
  it('resolves when the probe answers in time', async () => {
    await expect(
      probeWithTimeout({ name: 'x', probe: async () => undefined }, 50),
    ).resolves.toBeUndefined();
  });

  it('rejects with the probe error', async () => {
    const probe = async (): Promise<void> => {
      throw new Error('connection refused');
    };
    await expect(probeWithTimeout({ name: 'x', probe }, 50)).rejects.toThrow('connection refused');
  });

  it('rejects a probe that hangs, naming the dependency', async () => {
    const hang = (): Promise<void> => new Promise(() => undefined);
    await expect(probeWithTimeout({ name: 'redis', probe: hang }, 20)).rejects.toEqual(
      new ReadinessTimeoutError('redis', 20),
    );
  });
});
