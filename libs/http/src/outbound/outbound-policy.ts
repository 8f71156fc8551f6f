import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { embeddedIpv4 } from './embedded-ipv4';

/**
 * Address ranges the platform never calls on a tenant's behalf unless the operator allows
 * them: loopback, private and carrier-grade NAT networks, link-local (cloud metadata at
 * 169.254.169.254), unique-local IPv6, and the unspecified, multicast and reserved ranges.
 * A connector or webhook URL is chosen by a tenant; without this, one could make the platform
 * read its own internal endpoints (NATS monitoring, InfluxDB, Keycloak admin) and store or
 * send the answers wherever the tenant likes.
 */
const INTERNAL_RANGES: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  // Site-local (deprecated by RFC 3879, still routed inside some networks).
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

export class OutboundAddressError extends Error {
  readonly code = 'EOUTBOUNDBLOCKED';
}

/**
 * Which addresses outbound calls made for tenants may reach: anything public, plus the
 * internal ranges the operator lists in OUTBOUND_ALLOWED_CIDRS (e.g. a testbed's plant
 * network). One instance per app, built from its configuration.
 */
export class OutboundPolicy {
  private readonly internal = new BlockList();
  private readonly allowed = new BlockList();

  constructor(readonly allowedCidrs: readonly string[]) {
    for (const [address, prefix, family] of INTERNAL_RANGES)
      this.internal.addSubnet(address, prefix, family);
    for (const cidr of allowedCidrs) {
      const { address, prefix, family } = parseCidr(cidr);
      this.allowed.addSubnet(address, prefix, family);
    }
  }

  /**
   * Whether an IP address may be called. An IPv6 address that carries an IPv4 address
   * (mapped, IPv4-compatible, SIIT, NAT64, 6to4, Teredo: see `embeddedIpv4`) is decided by
   * that IPv4 address, since a translator or tunnel on the path delivers it there: it is
   * refused when any IPv4 address it carries would be. Anything that is not an IP is refused.
   */
  allows(ip: string): boolean {
    const address = ip.replace(/%.*$/, '');
    const version = isIP(address);
    if (version === 0) return false;
    const family = version === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(address, family)) return true;
    if (this.internal.check(address, family)) return false;
    return embeddedIpv4(address).every((v4) => this.allows(v4));
  }

  /** Throws unless `ip` may be called; the message names the host and the setting. */
  check(host: string, ip: string): void {
    if (!this.allows(ip)) {
      throw new OutboundAddressError(
        `${host} is ${ip === host ? '' : `resolved to ${ip}, `}an internal address the platform does not call for tenants (an operator may allow it in OUTBOUND_ALLOWED_CIDRS)`,
      );
    }
  }

  /**
   * A `lookup` for net/tls connections that refuses internal addresses at connect time, so
   * a name that resolves differently between a check and the connection (DNS rebinding)
   * cannot slip through.
   */
  readonly lookup = (
    hostname: string,
    options: object,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        for (const { address } of addresses) this.check(hostname, address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first!.address, first!.family);
    });
  };

  /**
   * Checks a host before a client library connects to it (AMQP, MQTT, OPC-UA clients that do
   * not take a lookup): an IP literal directly, a name by every address it resolves to.
   */
  async assertHost(host: string): Promise<void> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return this.check(host, bare);
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(bare, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
    );
    for (const { address } of addresses) this.check(host, address);
  }
}

/** `a.b.c.d/n` or `x:y::/n`; a bare address is a single host. */
export function parseCidr(cidr: string): {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
} {
  const [address = '', bits] = cidr.trim().split('/');
  const version = isIP(address);
  const max = version === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
    throw new Error(`"${cidr}" is not an IPv4 or IPv6 CIDR block such as 10.20.0.0/16`);
  return { address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
}
