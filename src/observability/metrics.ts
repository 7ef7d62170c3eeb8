import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/types.js';

/** AgentKit's Prometheus metrics, on a registry of its own (so tests can make several). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'agentkit_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'agentkit_http_request_duration_seconds',
    help: 'Time to answer HTTP requests.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly tasksDispatched = new Counter({
    name: 'agentkit_tasks_dispatched_total',
    help: 'Tasks accepted by POST /v1/agents/{agentId}/run (idempotent replays not counted).',
    registers: [this.registry],
  });
  readonly deliveryAttempts = new Counter({
    name: 'agentkit_delivery_attempts_total',
    help: 'Outgoing delivery attempts, by kind and outcome (succeeded, retry, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveryFailures = new Counter({
    name: 'agentkit_delivery_failures_total',
    help: 'Deliveries that ended failed (a refusing 4xx, or the retry budget spent).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'agentkit_delivery_latency_seconds',
    help: 'Duration of one outgoing delivery attempt.',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly outboxDepth: Gauge<'kind'>;
  readonly agents: Gauge;
  readonly tasks: Gauge<'status'>;

  /** The gauges read the store when Prometheus scrapes. */
  constructor(store: Pick<Store, 'outboxDepth' | 'counts'>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'agentkit_' });
    this.outboxDepth = new Gauge({
      name: 'agentkit_outbox_depth',
      help: 'Deliveries waiting to be sent, by kind.',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        for (const [kind, n] of Object.entries(await store.outboxDepth())) this.set({ kind }, n);
      },
    });
    this.agents = new Gauge({
      name: 'agentkit_agents',
      help: 'Registered agents.',
      registers: [this.registry],
      async collect() {
        this.set((await store.counts()).agents);
      },
    });
    this.tasks = new Gauge({
      name: 'agentkit_tasks',
      help: 'Tasks, by status.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        for (const [status, n] of Object.entries((await store.counts()).tasks)) this.set({ status }, n);
      },
    });
  }
}
