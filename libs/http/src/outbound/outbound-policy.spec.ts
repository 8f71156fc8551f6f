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

  // Every IPv6 form that carries an IPv4 address is decided by that address.
  it.each([
    ['IPv4-compatible', '::7f00:1'],
    ['IPv4-compatible, dotted', '::127.0.0.1'],
    ['IPv4-compatible, metadata', '::a9fe:a9fe'],
    ['IPv4-mapped, hex', '::ffff:7f00:1'],
    ['IPv4-mapped, metadata', '::ffff:169.254.169.254'],
    ['SIIT', '::ffff:0:7f00:1'],
    ['SIIT, dotted', '::ffff:0:10.0.0.1'],
    ['NAT64 well-known', '64:ff9b::7f00:1'],
    ['NAT64 well-known, dotted', '64:ff9b::192.168.1.1'],
    ['NAT64 local-use /96', '64:ff9b:1::a9fe:a9fe'],
    ['NAT64 local-use /48', '64:ff9b:1:7f00:0:100::'],
    ['NAT64 local-use /64', '64:ff9b:1:0:a:0:100:0'],
    // Public at the /96 position but 0.0.0.0 at the /48 one: refused, the translator's
    // prefix length is not known here.
    ['NAT64 local-use, ambiguous', '64:ff9b:1::808:808'],
    ['6to4', '2002:7f00:1::1'],
    ['6to4 of metadata', '2002:a9fe:a9fe::'],
    ['Teredo server', '2001:0:a00:1::'],
    ['Teredo client (inverted)', '2001:0:808:808:0:0:80ff:fffe'],
    ['site-local', 'fec0::1'],
    ['site-local, upper', 'feff:ffff::1'],
    ['upper case', '::FFFF:7F00:1'],
    ['zone id', 'fe80::1%eth0'],
    ['discard prefix', '100::1'],
    ['documentation prefix', '2001:db8::1'],
  ])('refuses %s %s', (_form, ip) => {
    expect(strict.allows(ip)).toBe(false);
    expect(() => strict.check(ip, ip)).toThrow(/internal address/);
  });

  it.each([
    ['IPv4-compatible', '::808:808'],
    ['SIIT', '::ffff:0:808:808'],
    ['NAT64 well-known', '64:ff9b::8.8.8.8'],
    // Public at every RFC 6052 position (a local-use translator may use any of them).
    ['NAT64 local-use', '64:ff9b:1:808:8:808:808:808'],
    ['6to4', '2002:808:808::1'],
    ['Teredo', '2001:0:808:808:0:0:f7f7:f7f7'],
  ])('allows %s %s when its IPv4 address is public', (_form, ip) =>
    expect(strict.allows(ip)).toBe(true),
  );

  it('allows an embedded IPv4 address the operator allows', () => {
    const plant = new OutboundPolicy(['10.20.0.0/16']);
    expect(plant.allows('64:ff9b::10.20.1.2')).toBe(true);
    expect(plant.allows('2002:a14:102::')).toBe(true);
    expect(plant.allows('64:ff9b::10.21.1.2')).toBe(false);
  });

  it('refuses what is not an IP address', () => {
    expect(strict.allows('example.org')).toBe(false);
    expect(strict.allows('')).toBe(false);
  });

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
