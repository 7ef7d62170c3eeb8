import { BlockList, isIP } from 'node:net';
import { internalRange } from '../net/internal-addresses.js';

/**
 * Where AgentKit may connect to reach an agent. Agents say where they live, so an address they
 * give could aim AgentKit's signed requests at the cloud metadata service or at Ops-Core's own
 * internal endpoints: an address that is loopback, private, link-local, CGNAT, unspecified,
 * multicast, broadcast or reserved (IPv6 too, and IPv4 inside IPv6) is refused, unless the
 * operator opts in with `AGENTKIT_AGENT_HOSTS`: host names (`agents.internal`, or
 * `*.agents.internal` for any subdomain), IP addresses and CIDR ranges (`10.0.0.0/8`,
 * `fd00::/8`). A listed name is trusted whatever it resolves to; a listed address or range
 * allows exactly those addresses, by whatever name they are reached. Public addresses are
 * always allowed.
 */
export class AgentHostPolicy {
  readonly #names = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #ips = new BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      const [addr, prefix] = entry.split('/');
      const family = addr ? isIP(addr) : 0;
      if (family && prefix !== undefined) this.#ips.addSubnet(addr!, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
      else if (family) this.#ips.addAddress(addr!, family === 6 ? 'ipv6' : 'ipv4');
      else if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
      else this.#names.add(entry);
    }
  }

  /** Why AgentKit will not connect to `address` when asked for `host`; null when it may. */
  refusal(host: string, address: string): string | null {
    const ip = bare(address);
    const range = internalRange(ip);
    if (range === null) return null;
    const name = bare(host).toLowerCase();
    if (!isIP(name) && (this.#names.has(name) || this.#suffixes.some((s) => name.endsWith(s)))) return null;
    if (this.#ips.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) return null;
    const via = name === ip ? '' : ` (${name} resolves to it)`;
    return `${ip} is a ${range} address${via}; AgentKit does not send agents' requests to internal addresses unless AGENTKIT_AGENT_HOSTS lists them`;
  }

  /** The refusal for a URL whose host is an IP literal; null for a name (checked once resolved). */
  literalRefusal(url: URL): string | null {
    const host = bare(url.hostname);
    return isIP(host) ? this.refusal(host, host) : null;
  }
}

/** An address or host without IPv6 brackets or a zone id. */
function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
}
