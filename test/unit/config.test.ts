import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_WEBHOOK_RETRY_SCHEDULE, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('when only the API keys are given, then the defaults apply', () => {
    const c = loadConfig({ AGENTKIT_API_KEYS: 'a, b' });
    expect(c).toMatchObject({ port: 8080, database: './data/agentkit.db', webhookUrl: null, maxBodyBytes: 1_048_576, agentHosts: [] });
    // Bare keys are admin, as before roles; the service says so at start.
    expect(c.apiKeys).toEqual([{ role: 'admin', key: 'a', bare: true }, { role: 'admin', key: 'b', bare: true }]);
    expect(c.webhookRetrySchedule).toEqual(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
  });

  it('when API keys carry roles, then each key has its role; a key that merely contains a colon stays a bare admin key', () => {
    expect(loadConfig({ AGENTKIT_API_KEYS: 'admin:k1, dispatcher:k2,agent:k3,other:k:4' }).apiKeys).toEqual([
      { role: 'admin', key: 'k1', bare: false },
      { role: 'dispatcher', key: 'k2', bare: false },
      { role: 'agent', key: 'k3', bare: false },
      { role: 'admin', key: 'other:k:4', bare: true },
    ]);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'dispatcher:' })).toThrow(/AGENTKIT_API_KEYS has the role dispatcher without a key/);
  });

  it('when a required or paired variable is missing, then the error names it', () => {
    expect(() => loadConfig({})).toThrow(/AGENTKIT_API_KEYS/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_URL: 'http://x/notify' })).toThrow(/OPSCORE_WEBHOOK_SECRET/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_API_URL: 'http://x' })).toThrow(/OPSCORE_API_KEY/);
  });

  it('when a value is malformed, then a ConfigError says which and why', () => {
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', PORT: 'http' })).toThrow(ConfigError);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', AGENTKIT_WEBHOOK_RETRY_SCHEDULE: '0,five' })).toThrow(/AGENTKIT_WEBHOOK_RETRY_SCHEDULE/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_URL: 'ftp://x', OPSCORE_WEBHOOK_SECRET: 's' })).toThrow(/http/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('when secrets rotate or limits are set, then the values are read, and malformed ones are refused naming the variable', () => {
    const c = loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_SECRET: ' new , old ', OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL: '2030-01-01T00:00:00Z', AGENTKIT_MAX_QUEUED_TASKS: '0', AGENTKIT_RATE_LIMIT: '50' });
    expect(c).toMatchObject({ webhookSecrets: ['new', 'old'], webhookPreviousSecretUntil: Date.parse('2030-01-01T00:00:00Z'), maxQueuedTasks: null, rateLimit: 50, rateLimitWindowS: 60, secretRotationGraceS: 86_400 });
    expect(loadConfig({ AGENTKIT_API_KEYS: 'a' })).toMatchObject({ webhookSecrets: [], webhookPreviousSecretUntil: null, maxQueuedTasks: 100_000, rateLimit: 600_000 });
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_SECRET: 'a,b,c' })).toThrow(/at most two/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_SECRET: 'a', OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL: '2030-01-01T00:00:00Z' })).toThrow(/two secrets/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', OPSCORE_WEBHOOK_SECRET: 'a,b', OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL: 'tomorrow' })).toThrow(/OPSCORE_WEBHOOK_PREVIOUS_SECRET_UNTIL/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', AGENTKIT_SECRET_ROTATION_GRACE_S: '999999999' })).toThrow(/AGENTKIT_SECRET_ROTATION_GRACE_S/);
    expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', AGENTKIT_RATE_LIMIT: '-1' })).toThrow(/AGENTKIT_RATE_LIMIT/);
  });

  it('when AGENTKIT_AGENT_HOSTS has a malformed entry, then a ConfigError names the variable and the entry', () => {
    for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', 'not a host', 'a..b', '*.', 'host/8']) {
      expect(() => loadConfig({ AGENTKIT_API_KEYS: 'a', AGENTKIT_AGENT_HOSTS: `agents.internal,${bad}` }), bad).toThrow(/AGENTKIT_AGENT_HOSTS has ".*"/);
    }
    expect(loadConfig({ AGENTKIT_API_KEYS: 'a', AGENTKIT_AGENT_HOSTS: 'Agents.Internal, *.pool.internal, 10.0.0.0/8, fd00::/8, 127.0.0.1' }).agentHosts).toEqual([
      'agents.internal', '*.pool.internal', '10.0.0.0/8', 'fd00::/8', '127.0.0.1',
    ]);
  });
});
