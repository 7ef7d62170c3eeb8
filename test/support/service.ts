import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createAgentKitClient, type AgentKitClient } from '../../src/client/agentkit.js';
import { loadConfig } from '../../src/config/config.js';
import type { Resolver } from '../../src/delivery/http-sender.js';
import type { Clock } from '../../src/domain/clock.js';
import { createService, type Service } from '../../src/service.js';

export const API_KEY = 'test-key-1';
export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface TestService {
  service: Service;
  url: string;
  client: AgentKitClient;
  dbPath: string;
  /** Authorization header value for raw fetch calls. */
  auth: string;
  stop(): Promise<void>;
}

/**
 * Starts AgentKit in-process on 127.0.0.1:0 with a fresh SQLite file. `env` adds or
 * overrides configuration variables.
 */
export async function startService(env: Record<string, string> = {}, options: { dbPath?: string; resolver?: Resolver; clock?: Clock } = {}): Promise<TestService> {
  const dir = options.dbPath ? null : mkdtempSync(join(tmpdir(), 'agentkit-test-'));
  const dbPath = options.dbPath ?? join(dir!, 'agentkit.db');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AGENTKIT_DB: dbPath,
    AGENTKIT_API_KEYS: `${API_KEY},second-key`,
    AGENTKIT_AGENT_HOSTS: '127.0.0.0/8,::1',
    AGENTKIT_VALIDATE_RESPONSES: 'true',
    ...env,
  });
  const service = await createService(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), pollIntervalMs: 200, ...(options.resolver ? { resolver: options.resolver } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const url = await service.start();
  return {
    service,
    url,
    dbPath,
    auth: `Bearer ${API_KEY}`,
    client: createAgentKitClient({ baseUrl: url, apiKey: API_KEY }),
    async stop() {
      await service.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A registration body with sensible defaults. */
export function registration(overrides: Record<string, unknown> = {}) {
  return {
    agentName: 'test-agent',
    version: '1.0.0',
    capabilities: ['echo'],
    contactEndpoint: 'http://127.0.0.1:9/tasks',
    metadata: { team: 'qa' },
    ...overrides,
  };
}
