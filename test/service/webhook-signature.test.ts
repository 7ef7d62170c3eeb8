import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver.js';
import { registration, startService, type TestService } from '../support/service.js';

describe('lifecycle webhooks are signed both ways', () => {
  for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'a plain shared secret']) {
    describe(`with OPSCORE_WEBHOOK_SECRET "${secret.slice(0, 8)}..."`, () => {
      let opsCore: Receiver;
      let ak: TestService;
      beforeAll(async () => {
        opsCore = await new Receiver().start();
        ak = await startService({ OPSCORE_WEBHOOK_URL: `${opsCore.url}/v1/opscore/internal/agent/notify`, OPSCORE_WEBHOOK_SECRET: secret });
      });
      afterAll(async () => {
        await ak.stop();
        await opsCore.stop();
      });

      it('when an agent registers, then a receiver using the standardwebhooks library and one using the X-AgentKit rule both accept it', async () => {
        await ak.client.POST('/v1/agents', { body: registration({ agentId: 'signed-1' }) });
        await opsCore.waitFor(() => opsCore.requests.length >= 1);
        const req = opsCore.requests[0]!;

        const verifier = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(Buffer.from(secret), { format: 'raw' });
        const verified = verifier.verify(req.rawBody, req.headers) as { event_type: string; agent_details: { agentId: string } };
        expect(verified.event_type).toBe('REGISTER');
        expect(verified.agent_details.agentId).toBe('signed-1');

        const ts = req.headers['x-agentkit-timestamp']!;
        const expected = createHmac('sha256', secret).update(`${ts}.${req.rawBody}`).digest('hex');
        expect(req.headers['x-agentkit-signature']).toBe(expected);
        expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
      });

      it('when the body is tampered with, then both verifications fail', async () => {
        const req = opsCore.requests[0]!;
        const tampered = req.rawBody.replace('signed-1', 'signed-2');
        const verifier = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(Buffer.from(secret), { format: 'raw' });
        expect(() => verifier.verify(tampered, req.headers)).toThrow();
        const ts = req.headers['x-agentkit-timestamp']!;
        expect(createHmac('sha256', secret).update(`${ts}.${tampered}`).digest('hex')).not.toBe(req.headers['x-agentkit-signature']);
      });

      it('when the webhook arrives, then its body is exactly an AgentNotificationPayload', () => {
        const body = opsCore.requests[0]!.json as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(['agent_details', 'event_type']);
        expect(body.agent_details).toEqual({
          agentId: 'signed-1',
          agentName: 'test-agent',
          version: '1.0.0',
          capabilities: ['echo'],
          contactEndpoint: 'http://127.0.0.1:9/tasks',
          metadata: { team: 'qa' },
        });
      });
    });
  }
});
