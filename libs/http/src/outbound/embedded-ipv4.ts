import { isIPv4, isIPv6 } from 'node:net';

/**
 * The 16 bytes of an IPv6 address (zone id dropped, a trailing dotted quad accepted), or
 * undefined when `ip` is not IPv6.
 */
export function ipv6Bytes(ip: string): Uint8Array | undefined {
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return undefined;
  let text = bare.toLowerCase();
  // A trailing dotted quad (`::ffff:1.2.3.4`) becomes two hextets.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text =
      text.slice(0, quad.index) + (((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16));
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const hextets = [
    ...headParts,
    ...Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...tailParts,
  ];
  const bytes = new Uint8Array(16);
  hextets.forEach((hextet, i) => {
    const value = parseInt(hextet, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const dotted = (bytes: ArrayLike<number>): string => Array.from(bytes).join('.');

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean =>
  prefix.every((byte, i) => bytes[i] === byte);

/**
 * Every IPv4 address an IPv6 address carries in a form that some network translates or
 * tunnels to that IPv4 address, so a guard can decide by it: `::a.b.c.d` (IPv4-compatible,
 * deprecated but still routed by some stacks), `::ffff:a.b.c.d` (IPv4-mapped, the kernel
 * connects to the IPv4 address), `::ffff:0:a.b.c.d` (SIIT), `64:ff9b::/96` (NAT64
 * well-known prefix), `64:ff9b:1::/48` (local-use NAT64, RFC 8215: the IPv4 address may sit
 * at any RFC 6052 position, so every position is returned), `2002::/16` (6to4) and
 * `2001::/32` (Teredo: the server address, and the client address stored inverted).
 * An empty list for an IPv4 address or an IPv6 address that embeds none.
 */
export function embeddedIpv4(ip: string): string[] {
  if (isIPv4(ip)) return [];
  const bytes = ipv6Bytes(ip);
  if (!bytes) return [];
  const last32 = dotted(bytes.subarray(12, 16));
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((byte) => byte === 0);

  // ::/96 (IPv4-compatible) and ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (SIIT).
  if (zeros(0, 12)) return [last32];
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return [last32];
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) return [last32];
  // 64:ff9b::/96, the NAT64 well-known prefix.
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b]) && zeros(4, 12)) return [last32];
  // 64:ff9b:1::/48, local-use NAT64: RFC 6052 positions for /48, /56, /64 and /96 (bits 64-71
  // are the reserved "u" octet, skipped).
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01])) {
    return [
      dotted([bytes[6]!, bytes[7]!, bytes[9]!, bytes[10]!]),
      dotted([bytes[7]!, bytes[9]!, bytes[10]!, bytes[11]!]),
      dotted(bytes.subarray(9, 13)),
      last32,
    ];
  }
  // 2002:AABB:CCDD::/48, 6to4.
  if (startsWith(bytes, [0x20, 0x02])) return [dotted(bytes.subarray(2, 6))];
  // 2001:0000::/32, Teredo: server IPv4 in bits 32-63, client IPv4 inverted in the last 32.
  if (startsWith(bytes, [0x20, 0x01, 0x00, 0x00])) {
    return [
      dotted(bytes.subarray(4, 8)),
      dotted(Array.from(bytes.subarray(12, 16), (byte) => byte ^ 0xff)),
    ];
  }
  return [];
}
