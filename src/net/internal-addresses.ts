import { BlockList, isIP } from 'node:net';

/** The kinds of address that are not the public internet, as the refusal names them. */
export type InternalRange = 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved';

const V4: Array<[InternalRange, string, number]> = [
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['link-local', '169.254.0.0', 16],
  ['cgnat', '100.64.0.0', 10],
  ['multicast', '224.0.0.0', 4],
  ['broadcast', '255.255.255.255', 32],
  ['reserved', '240.0.0.0', 4],
  ['reserved', '192.0.0.0', 24],
  ['reserved', '192.0.2.0', 24],
  ['reserved', '198.18.0.0', 15],
  ['reserved', '198.51.100.0', 24],
  ['reserved', '203.0.113.0', 24],
];

const V6: Array<[InternalRange, string, number]> = [
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['private', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  ['multicast', 'ff00::', 8],
  ['reserved', 'fec0::', 10],
  ['reserved', '2001:db8::', 32],
  ['reserved', '2001::', 32],
  ['reserved', '100::', 64],
  // IPv4-compatible (deprecated) addresses: never a public IPv6 destination.
  ['reserved', '::', 96],
];

/** One BlockList per kind, checked in the table's order (broadcast before the reserved 240/4). */
const RANGES: Array<[InternalRange, BlockList]> = (() => {
  const lists = new Map<InternalRange, BlockList>();
  const add = (kind: InternalRange, net: string, prefix: number, type: 'ipv4' | 'ipv6') => {
    if (!lists.has(kind)) lists.set(kind, new BlockList());
    lists.get(kind)!.addSubnet(net, prefix, type);
  };
  for (const [kind, net, prefix] of V4) add(kind, net, prefix, 'ipv4');
  for (const [kind, net, prefix] of V6) add(kind, net, prefix, 'ipv6');
  const order: InternalRange[] = ['unspecified', 'loopback', 'private', 'link-local', 'cgnat', 'multicast', 'broadcast', 'reserved'];
  return order.map((k) => [k, lists.get(k)!]);
})();

/** The eight 16-bit groups of an IPv6 address (which isIP accepted). */
function groups(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const part = (s: string) => (s ? s.split(':') : []);
  let h = part(head);
  let t = tail === undefined ? [] : part(tail);
  const dotted = (arr: string[]) => {
    const last = arr[arr.length - 1];
    if (!last || !last.includes('.')) return arr;
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    return [...arr.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  if (tail === undefined) h = dotted(h);
  else t = dotted(t);
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/**
 * The IPv4 address an IPv6 one carries and would reach: IPv4-mapped (`::ffff:a.b.c.d`), NAT64
 * (`64:ff9b::/96`) and 6to4 (`2002:aabb:ccdd::/16`). Null for any other.
 */
function embeddedV4(ip: string): string | null {
  const g = groups(ip);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return null;
}

/**
 * Which internal range `address` (an IP, as a socket connects to it) is in; null for a public
 * address. An IPv6 address that carries an IPv4 one is judged by that IPv4 address.
 */
export function internalRange(address: string): InternalRange | null {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const v4 = embeddedV4(ip);
    if (v4 !== null) return internalRange(v4);
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [kind, list] of RANGES) if (list.check(ip, type)) return kind;
  return null;
}
