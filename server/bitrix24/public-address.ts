import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Where a redirect may take a call that carries a portal's token: only to the public Internet.
// Loopback, private, shared (CGN), link-local (169.254.169.254 is the cloud metadata service),
// documentation, multicast and reserved ranges are refused (RFC 6890 special-purpose registries).

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible, deprecated
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): translates to whatever IPv4 its operator chose, private ones included
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16], // 6to4 can tunnel to any IPv4 address, private ones included
  ['fc00::', 7], // unique local, AWS' IPv6 metadata fd00:ec2::254 among them
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** True for an address on the public Internet; IPv4-mapped and NAT64 addresses are judged by the IPv4 inside. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const nat64 = /^64:ff9b::(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (nat64) {
    const v4 =
      nat64[1] ??
      [nat64[2]!, nat64[3]!]
        .map((h) => {
          const n = parseInt(h, 16);
          return `${n >> 8}.${n & 255}`;
        })
        .join('.');
    return isPublicAddress(v4);
  }
  // BlockList checks an IPv4-mapped address (::ffff:a.b.c.d) against the IPv4 rules too.
  return !NOT_PUBLIC.check(address, 'ipv6');
}

export class NonPublicAddressError extends Error {
  constructor(readonly host: string) {
    super(`${host} does not resolve to a public address`);
    this.name = 'NonPublicAddressError';
  }
}

/**
 * A `lookup` for http(s).request that resolves as usual and refuses the connection unless every
 * address is public. The check runs on the address actually connected to, so a DNS answer that
 * changes between a check and the connection (rebinding) cannot slip through.
 */
export function publicOnlyLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || !list.every((a) => isPublicAddress(a.address))) {
        return callback(Object.assign(new NonPublicAddressError(hostname), { code: 'ENOTPUBLIC' }), '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
