import { BlockList, isIP } from 'node:net';

/**
 * The optional allowlist of hosts that agents may register as their contactEndpoint
 * (`AGENTKIT_AGENT_HOSTS`): host names (`agents.internal`, or `*.agents.internal` for
 * any subdomain), IP addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Names are not
 * resolved: an IP entry matches only URLs that use that IP literally.
 */
export class AgentHostAllowlist {
  readonly #names = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #ips = new BlockList();
  readonly enabled: boolean;

  constructor(entries: readonly string[]) {
    this.enabled = entries.length > 0;
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

  /** True when `url`'s host may be used (always, without an allowlist). */
  allows(url: URL): boolean {
    if (!this.enabled) return true;
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const family = isIP(host);
    if (family) return this.#ips.check(host, family === 6 ? 'ipv6' : 'ipv4');
    return this.#names.has(host) || this.#suffixes.some((s) => host.endsWith(s));
  }
}
