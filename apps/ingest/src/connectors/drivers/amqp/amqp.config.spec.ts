import { amqpSourceConfigSchema, brokerAddress, connectOptions } from './amqp.config';

const base = { url: 'amqp://broker:5673', username: 'u', password: { value: 'p' }, queue: 'q' };

describe('AMQP connector configuration', () => {
  it('fills defaults', () => {
    expect(amqpSourceConfigSchema.parse(base)).toMatchObject({
      vhost: '/',
      declareQueue: true,
      bindings: [],
      format: 'auto',
      prefetch: 100,
      heartbeatSeconds: 30,
    });
  });

  it('names each wrong field', () => {
    const result = amqpSourceConfigSchema.safeParse({
      ...base,
      url: 'amqp://u:secret@broker/vhost',
      prefetch: 0,
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => `${issue.path.join('/')}: ${issue.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'url: put the user in "username" and the password in "password", not in the URL',
        'url: expected no path or query: the vhost is "vhost"',
        expect.stringMatching(/^prefetch: /),
      ]),
    );
  });

  it('turns a URL into amqplib options and an address without credentials', () => {
    const config = amqpSourceConfigSchema.parse({ ...base, url: 'amqps://broker', vhost: 'v' });
    expect(connectOptions(config, 'pw')).toEqual({
      protocol: 'amqps',
      hostname: 'broker',
      port: 5671,
      username: 'u',
      password: 'pw',
      vhost: 'v',
      heartbeat: 30,
    });
    expect(brokerAddress({ url: 'amqp://broker' })).toBe('broker:5672');
  });
});
