import { describe, expect, it } from 'vitest';
import { AgentHostPolicy } from '../../src/domain/agent-hosts.js';
import { internalRange } from '../../src/net/internal-addresses.js';

describe('internalRange', () => {
  it('when an address is internal, then it names the range, IPv4 and IPv6 alike', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['127.255.1.2', 'loopback'], ['::1', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.254', 'private'], ['192.168.1.1', 'private'], ['fd12:3456::1', 'private'],
      ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
      ['100.64.0.1', 'cgnat'], ['100.127.255.254', 'cgnat'],
      ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'], ['239.1.2.3', 'multicast'], ['ff02::1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'], ['192.0.2.10', 'reserved'], ['198.18.0.1', 'reserved'], ['2001:db8::1', 'reserved'],
    ];
    for (const [ip, range] of cases) expect(internalRange(ip), ip).toBe(range);
  });

  it('when an IPv6 address carries an IPv4 one (mapped, NAT64, 6to4), then the IPv4 address decides', () => {
    expect(internalRange('::ffff:127.0.0.1')).toBe('loopback');
    expect(internalRange('::ffff:7f00:1')).toBe('loopback');
    expect(internalRange('::ffff:169.254.169.254')).toBe('link-local');
    expect(internalRange('64:ff9b::a00:1')).toBe('private');
    expect(internalRange('2002:c0a8:101::1')).toBe('private');
    expect(internalRange('::ffff:8.8.8.8')).toBeNull();
    expect(internalRange('[::1]')).toBe('loopback');
  });

  it('when an address is public, then it is not internal', () => {
    for (const ip of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '2a00:1450::1']) {
      expect(internalRange(ip), ip).toBeNull();
    }
  });
});

describe('AgentHostPolicy', () => {
  const policy = new AgentHostPolicy(['agents.internal', '*.pods.local', '10.0.0.0/8', '127.0.0.1', 'fd00::/8']);

  it('when nothing is listed, then public addresses pass and internal ones are refused, naming the range', () => {
    const none = new AgentHostPolicy([]);
    expect(none.refusal('example.com', '93.184.216.34')).toBeNull();
    expect(none.refusal('169.254.169.254', '169.254.169.254')).toMatch(/^169\.254\.169\.254 is a link-local address; .*AGENTKIT_AGENT_HOSTS/);
    expect(none.refusal('rebind.example', '127.0.0.1')).toMatch(/127\.0\.0\.1 is a loopback address \(rebind\.example resolves to it\)/);
  });

  it('when a listed name, suffix, address or range matches, then an internal address passes', () => {
    expect(policy.refusal('agents.internal', '10.9.9.9')).toBeNull();
    expect(policy.refusal('a.b.pods.local', '192.168.3.4')).toBeNull();
    expect(policy.refusal('anything.example', '10.2.3.4')).toBeNull();
    expect(policy.refusal('127.0.0.1', '127.0.0.1')).toBeNull();
    expect(policy.refusal('fd12::1', 'fd12::1')).toBeNull();
  });

  it('when nothing listed matches, then an internal address is refused', () => {
    expect(policy.refusal('evil.internal', '192.168.0.1')).not.toBeNull();
    expect(policy.refusal('pods.local.evil', '192.168.0.1')).not.toBeNull();
    expect(policy.refusal('127.0.0.2', '127.0.0.2')).not.toBeNull();
    expect(policy.refusal('fe80::1', 'fe80::1')).not.toBeNull();
  });

  it('when a URL uses an IP literal, then it is judged at once; a name waits for its addresses', () => {
    const none = new AgentHostPolicy([]);
    expect(none.literalRefusal(new URL('http://[::ffff:127.0.0.1]:8000/x'))).toMatch(/loopback/);
    expect(none.literalRefusal(new URL('http://169.254.169.254/latest/meta-data/'))).toMatch(/link-local/);
    expect(none.literalRefusal(new URL('http://localhost:8000/x'))).toBeNull();
  });
});
