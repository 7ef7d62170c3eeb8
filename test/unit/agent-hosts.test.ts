import { describe, expect, it } from 'vitest';
import { AgentHostAllowlist } from '../../src/domain/agent-hosts.js';

describe('AgentHostAllowlist', () => {
  const list = new AgentHostAllowlist(['agents.internal', '*.pods.local', '10.0.0.0/8', '127.0.0.1', 'fd00::/8']);

  it('when no allowlist is configured, then every host is allowed', () => {
    expect(new AgentHostAllowlist([]).allows(new URL('http://anything:1/x'))).toBe(true);
  });

  it('when the host matches a name, a wildcard, an IP or a CIDR, then it is allowed', () => {
    for (const u of ['http://agents.internal/t', 'https://a.b.pods.local:8443/t', 'http://10.2.3.4/t', 'http://127.0.0.1:9000/t', 'http://[fd12::1]/t']) {
      expect(list.allows(new URL(u)), u).toBe(true);
    }
  });

  it('when the host matches nothing, then it is refused', () => {
    for (const u of ['http://evil.internal/t', 'http://pods.local.evil/t', 'http://11.0.0.1/t', 'http://127.0.0.2/t', 'http://[fe80::1]/t']) {
      expect(list.allows(new URL(u)), u).toBe(false);
    }
  });
});
