import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Hanging {
  taskId: string;
  res: ServerResponse;
}

/**
 * An agent endpoint for many agents at once: answers each task delivery 202, then reports
 * the task `finished` to one of AgentKit's replicas (round-robin over `replicas`, moving to
 * the next when one does not answer). In hang mode it keeps deliveries unanswered and
 * notes which connections were cut (their sender died).
 */
export class FakeAgent {
  /** Every delivery received: task id and webhook-id, in arrival order. */
  readonly deliveries: { taskId: string; webhookId: string }[] = [];
  /** Tasks whose `finished` report a replica accepted. */
  readonly reported = new Set<string>();
  /** Task ids of hanging deliveries whose connection closed unanswered: their sender was killed. */
  readonly cut: string[] = [];
  readonly #hanging = new Set<Hanging>();
  readonly #pendingReports = new Set<Promise<void>>();
  #server: Server | null = null;
  #hang = false;
  #next = 0;
  #stopped = false;
  url = '';

  constructor(
    /** Base URLs of the live replicas; the test removes a killed one. */
    readonly replicas: string[],
    readonly apiKey: string,
  ) {}

  async start(): Promise<this> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get hangingCount(): number {
    return this.#hanging.size;
  }

  /** Task ids of the deliveries received and held unanswered right now. */
  get hangingTaskIds(): string[] {
    return [...this.#hanging].map((h) => h.taskId);
  }

  /** Hang mode on: deliveries stay unanswered. Off: the hanging ones get 503 (retried). */
  hang(on: boolean): void {
    this.#hang = on;
    if (on) return;
    for (const h of this.#hanging) if (!h.res.destroyed) h.res.writeHead(503).end();
    this.#hanging.clear();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#pendingReports]);
    for (const h of this.#hanging) h.res.destroy();
    this.#hanging.clear();
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { taskId: string };
      this.deliveries.push({ taskId: body.taskId, webhookId: String(req.headers['webhook-id']) });
      if (this.#hang) {
        const h: Hanging = { taskId: body.taskId, res };
        this.#hanging.add(h);
        res.once('close', () => {
          if (!res.writableEnded && this.#hanging.delete(h)) this.cut.push(body.taskId);
        });
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      const p = this.#report(body.taskId);
      this.#pendingReports.add(p);
      void p.finally(() => this.#pendingReports.delete(p));
    });
  }

  async #report(taskId: string): Promise<void> {
    for (let tries = 0; tries < 20 && !this.#stopped; tries++) {
      const base = this.replicas[this.#next++ % this.replicas.length];
      try {
        const res = await fetch(`${base}/v1/tasks/${encodeURIComponent(taskId)}/reports`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'finished', result: { echoed: taskId } }),
        });
        await res.arrayBuffer();
        if (res.ok) {
          this.reported.add(taskId);
          return;
        }
      } catch {
        // that replica is gone: the next one
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
