import { OutboundPolicy, parseCidr } from './outbound-policy';

describe('OutboundPolicy', () => {
  const strict = new OutboundPolicy([]);

  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])('refuses the internal address %s', (ip) => {
    expect(strict.allows(ip)).toBe(false);
    expect(() => strict.check('host.example', ip)).toThrow(/internal address/);
  });

  it.each(['8.8.8.8', '172.32.0.1', '193.0.0.1', '2001:4860:4860::8888', '::ffff:8.8.4.4'])(
    'allows the public address %s',
    (ip) => expect(strict.allows(ip)).toBe(true),
  );

  it('allows internal blocks the operator lists, and only those', () => {
    const plant = new OutboundPolicy(['10.20.0.0/16', 'fd00:1::/64', '127.0.0.2']);
    expect(plant.allows('10.20.5.6')).toBe(true);
    expect(plant.allows('10.21.0.1')).toBe(false);
    expect(plant.allows('fd00:1::9')).toBe(true);
    expect(plant.allows('fd00:2::9')).toBe(false);
    expect(plant.allows('127.0.0.2')).toBe(true);
    expect(plant.allows('127.0.0.1')).toBe(false);
  });

  it('checks names by every address they resolve to', async () => {
    await expect(strict.assertHost('localhost')).rejects.toThrow(
      /localhost is resolved to (127\.0\.0\.1|::1), an internal address/,
    );
    await expect(strict.assertHost('[::1]')).rejects.toThrow(/internal address/);
    await expect(new OutboundPolicy(['127.0.0.0/8', '::1']).assertHost('localhost')).resolves.toBe(
      undefined,
    );
  });

  it('refuses what is not a CIDR block', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/not an IPv4 or IPv6 CIDR/);
    expect(() => parseCidr('example.org/8')).toThrow(/not an IPv4 or IPv6 CIDR/);
    expect(parseCidr('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' });
  });
});
