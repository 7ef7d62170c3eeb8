import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { targetOf } from '../../src/delivery/worker.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('per-target delivery limit', () => {
  it('when a URL has a path, query or none, then its target is scheme, host and port with a trailing slash', () => {
    expect(targetOf('http://127.0.0.1:8000/tasks/x')).toBe('http://127.0.0.1:8000/');
    expect(targetOf('https://ops.example.com/v1/opscore/internal/agent/notify')).toBe('https://ops.example.com/');
    expect(targetOf('http://127.0.0.1:9')).toBe('http://127.0.0.1:9/');
    expect(targetOf('http://[::1]:80/a')).toBe('http://[::1]:80/');
  });

  describe('SqliteStore.claimDeliveries with skipTargets', () => {
    let store: SqliteStore;
    const urls = ['http://a:1/x', 'http://a:1/y', 'http://b:2/z', 'http://a:10/w', 'http://c:3'];

    beforeEach(async () => {
      store = new SqliteStore({ path: ':memory:' });
      await store.migrate();
      for (const [i, targetUrl] of urls.entries()) {
        const agentId = `agent-${i}`;
        await store.registerAgent({ restartReport: () => null, tokenHash: null, onlyIfNew: false,
          agent: { agentId, agentName: 'a', version: '1', capabilities: [], contactEndpoint: targetUrl, metadata: {} },
          candidateSecret: 'secret',
          rotateSecret: false,
          notification: {
            deliveryId: `dlv-${i}`,
            webhookId: `msg-${i}`,
            kind: 'agent.lifecycle',
            eventType: 'REGISTER',
            agentId,
            taskId: null,
            targetUrl,
            payload: '{}',
            orderKey: null,
            nextAttemptAt: i,
            expiresAt: null,
            createdAt: new Date(0).toISOString(),
          },
          now: new Date(0).toISOString(),
        });
      }
    });
    afterEach(async () => {
      await store.close();
    });

    it('when targets are skipped, then only deliveries to other targets are claimed, and the skipped ones stay claimable', async () => {
      const claimed = await store.claimDeliveries(100, 10, 'owner', 1_000, [targetOf('http://a:1/x'), targetOf('http://c:3')]);
      expect(claimed.map((d) => d.targetUrl)).toEqual(['http://b:2/z', 'http://a:10/w']);
      const rest = await store.claimDeliveries(100, 10, 'owner', 1_000, []);
      expect(rest.map((d) => d.targetUrl)).toEqual(['http://a:1/x', 'http://a:1/y', 'http://c:3']);
    });
  });
});
