import { embeddedIpv4, ipv6Bytes } from './embedded-ipv4';

describe('embeddedIpv4', () => {
  it.each([
    ['::7f00:1', ['127.0.0.1']],
    ['::127.0.0.1', ['127.0.0.1']],
    ['::ffff:10.1.2.3', ['10.1.2.3']],
    ['::ffff:0:a01:203', ['10.1.2.3']],
    ['64:ff9b::c0a8:101', ['192.168.1.1']],
    ['2002:c0a8:101:5::1', ['192.168.1.1']],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['2001:4860:4860::8888', []],
    ['fe80::1', []],
    ['8.8.8.8', []],
  ])('%s carries %j', (ip, expected) => expect(embeddedIpv4(ip)).toEqual(expected));

  it('reads every RFC 6052 position of the local-use NAT64 prefix', () => {
    // 127.0.0.1 at the /48 position: bits 48-63 then 72-87 (the u octet skipped).
    expect(embeddedIpv4('64:ff9b:1:7f00:0:100::')).toContain('127.0.0.1');
    expect(embeddedIpv4('64:ff9b:1::7f00:1')).toContain('127.0.0.1');
  });

  it('expands compressed and dotted forms to 16 bytes', () => {
    expect(Array.from(ipv6Bytes('::ffff:1.2.3.4')!)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4,
    ]);
    expect(Array.from(ipv6Bytes('1::')!)).toEqual([0, 1, ...Array(14).fill(0)]);
    expect(ipv6Bytes('1.2.3.4')).toBeUndefined();
  });
});
