import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { cursorSeq, encodeCursor } from '../cursor.js';
import type {
  AgentRecord,
  AttemptOutcome,
  CreateTaskInput,
  CreateTaskResult,
  DeliveryAttempt,
  DeliveryFilter,
  DeliveryKind,
  DeliveryRecord,
  DeregisterInput,
  NewDelivery,
  Page,
  PageRequest,
  RedeliverResult,
  RegisterInput,
  RegisterResult,
  Store,
  TaskFilter,
  TaskError,
  TaskRecord,
  TaskReportInput,
  TaskReportResult,
} from '../types.js';
import { sqliteMigrations } from './migrations.js';
import {
  type AgentRow,
  type AttemptRow,
  type DeliveryRow,
  type TaskRow,
  encodeResult,
  toAgent,
  toAttempt,
  toDelivery,
  toTask,
} from './rows.js';

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. The directory is created. */
  path: string;
  /**
   * `NORMAL` (default): every commit survives a killed process; a power cut may lose the
   * last commits. `FULL`: commits also survive a power cut, at the cost of an fsync each.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

/**
 * Delivered or running tasks past a deadline, oldest first: the worker's sweep, every second.
 * INDEXED BY: left to itself SQLite reads every delivered task through tasks_by_status (most
 * tasks have no deadline and stay `delivered` when their agent reports elsewhere), which grew
 * the sweep, and the p99 of every request, with the table: 26 to 90 ms over a 5-minute soak.
 */
export const OVERDUE_TASKS_SQL = `SELECT task_id FROM tasks INDEXED BY tasks_open_by_deadline
  WHERE status IN ('delivered', 'running') AND deadline IS NOT NULL AND deadline < ? ORDER BY deadline LIMIT ?`;

type Db = Database.Database;
type QueuedWrite = { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Statement = Database.Statement;

/** The embedded store: SQLite through better-sqlite3, in WAL mode. */
export class SqliteStore implements Store {
  readonly #db: Db;
  /** Prepared statements by SQL text: preparing costs more than running, so each is prepared once. */
  readonly #statements = new Map<string, Statement>();
  /** Runs a function in BEGIN IMMEDIATE ... COMMIT (one wrapper, made once, instead of one per call); in a SAVEPOINT when a transaction is open. */
  readonly #immediate: <T>(fn: () => T) => T;
  /** Writes waiting for the next group commit (see {@link SqliteStore.#write}). */
  #queued: QueuedWrite[] = [];

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    const run = this.#db.transaction((fn: () => unknown) => fn());
    this.#immediate = <T>(fn: () => T) => run.immediate(fn) as T;
  }

  /**
   * Group commit: a write runs in one transaction with the other writes asked for in the same
   * turn of the event loop (a failing write undoes only itself, see #commitQueued), and its
   * promise settles once that transaction committed. Under load many commits (each a WAL
   * append, now and then a checkpoint) become one; a lone write waits one setImmediate.
   */
  #write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queued.length === 1) setImmediate(() => this.#commitQueued());
    });
  }

  #commitQueued(): void {
    const batch = this.#queued;
    if (batch.length === 0) return;
    this.#queued = [];
    // Writes seldom throw (they answer not-found or conflict as values), so the batch first runs
    // as plain statements; only when one throws is it rolled back and run again with a SAVEPOINT
    // per write, so that the failing write undoes only itself.
    let values: unknown[];
    try {
      values = this.#immediate(() => batch.map((w) => w.fn()));
    } catch {
      this.#commitEachInSavepoint(batch);
      return;
    }
    batch.forEach((w, i) => w.resolve(values[i]));
  }

  #commitEachInSavepoint(batch: QueuedWrite[]): void {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.#immediate(() => {
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: this.#immediate(w.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value);
      else w.reject(o.err);
    });
  }

  #sql(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    const db = this.#db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of sqliteMigrations) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      }).immediate();
    }
    // One process owns a SQLite file: leases left by an earlier (killed) process are stale.
    db.prepare('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL').run();
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#commitQueued();
    if (this.#db.open) this.#db.close();
  }

  // ---- agents ----------------------------------------------------------------------

  async registerAgent(input: RegisterInput): Promise<RegisterResult> {
    return this.#write((): RegisterResult => {
      const a = input.agent;
      const existing = this.#sql('SELECT seq, signing_secret FROM agents WHERE agent_id = ?').get(a.agentId) as
        | { seq: number; signing_secret: string }
        | undefined;
      let issuedSecret: string | null = null;
      let seq: number;
      if (existing) {
        const secret = input.rotateSecret ? input.candidateSecret : existing.signing_secret;
        if (input.rotateSecret) issuedSecret = secret;
        this.#sql(
          `UPDATE agents SET agent_name = ?, version = ?, capabilities = ?, contact_endpoint = ?, metadata = ?,
             signing_secret = ?, updated_at = ? WHERE seq = ?`,
        ).run(a.agentName, a.version, JSON.stringify(a.capabilities), a.contactEndpoint, JSON.stringify(a.metadata), secret, input.now, existing.seq);
        this.#sql('DELETE FROM agent_capabilities WHERE agent_seq = ?').run(existing.seq);
        seq = existing.seq;
      } else {
        issuedSecret = input.candidateSecret;
        seq = Number(
          this.#sql(
            `INSERT INTO agents (agent_id, agent_name, version, capabilities, contact_endpoint, metadata, signing_secret, registered_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(a.agentId, a.agentName, a.version, JSON.stringify(a.capabilities), a.contactEndpoint, JSON.stringify(a.metadata), issuedSecret, input.now, input.now).lastInsertRowid,
        );
      }
      const addCapability = this.#sql('INSERT OR IGNORE INTO agent_capabilities (capability, agent_seq) VALUES (?, ?)');
      for (const c of a.capabilities) addCapability.run(c, seq);
      if (input.notification) this.#insertDelivery(input.notification);
      const row = this.#sql('SELECT * FROM agents WHERE seq = ?').get(seq) as AgentRow;
      return { agent: toAgent(row), created: !existing, issuedSecret };
    });
  }

  async deregisterAgent(input: DeregisterInput): Promise<{ agent: AgentRecord; failedTasks: TaskRecord[] } | null> {
    return this.#write(() => {
      const row = this.#sql('SELECT * FROM agents WHERE agent_id = ?').get(input.agentId) as AgentRow | undefined;
      if (!row) return null;
      const agent = toAgent(row);
      this.#sql('DELETE FROM agents WHERE seq = ?').run(row.seq);
      const notification = input.notification(agent);
      if (notification) this.#insertDelivery(notification);
      const queued = (this.#sql("SELECT * FROM tasks WHERE agent_id = ? AND status = 'queued'").all(input.agentId) as TaskRow[]).map(toTask);
      const failedTasks: TaskRecord[] = [];
      for (const task of queued) {
        const error = { code: 'agent_deregistered', message: `Agent ${input.agentId} deregistered before the task was delivered` };
        failedTasks.push(this.#failTask(task.taskId, error, input.now));
        this.#sql(
          `UPDATE deliveries SET status = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
           WHERE task_id = ? AND kind = 'task.delivery' AND status = 'pending'`,
        ).run('Agent deregistered', input.now, task.taskId);
        const report = input.failedTaskReport(failedTasks[failedTasks.length - 1]!);
        if (report) this.#insertDelivery(report);
      }
      return { agent, failedTasks };
    });
  }

  async getAgent(agentId: string): Promise<AgentRecord | null> {
    const row = this.#sql('SELECT * FROM agents WHERE agent_id = ?').get(agentId) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async getAgentContact(agentId: string): Promise<{ contactEndpoint: string; signingSecret: string } | null> {
    const row = this.#sql('SELECT contact_endpoint, signing_secret FROM agents WHERE agent_id = ?').get(agentId) as
      | { contact_endpoint: string; signing_secret: string }
      | undefined;
    return row ? { contactEndpoint: row.contact_endpoint, signingSecret: row.signing_secret } : null;
  }

  async listAgents(page: PageRequest, filter: { capability?: string | undefined }): Promise<Page<AgentRecord>> {
    const after = cursorSeq(page.cursor) ?? 0;
    const rows = (
      filter.capability === undefined
        ? this.#sql('SELECT * FROM agents WHERE seq > ? ORDER BY seq LIMIT ?').all(after, page.limit + 1)
        : this.#sql(
            `SELECT a.* FROM agent_capabilities c JOIN agents a ON a.seq = c.agent_seq
             WHERE c.capability = ? AND c.agent_seq > ? ORDER BY c.agent_seq LIMIT ?`,
          ).all(filter.capability, after, page.limit + 1)
    ) as AgentRow[];
    return pageOf(rows, page.limit, toAgent);
  }

  async countAgents(): Promise<number> {
    return (this.#sql('SELECT COUNT(*) AS n FROM agents').get() as { n: number }).n;
  }

  // ---- tasks -----------------------------------------------------------------------

  async createTask(input: CreateTaskInput): Promise<CreateTaskResult> {
    return this.#write((): CreateTaskResult => {
      const t = input.task;
      if (input.idempotencyKey !== null) {
        const seen = this.#sql('SELECT * FROM tasks WHERE agent_id = ? AND idempotency_key = ?').get(t.agentId, input.idempotencyKey) as TaskRow | undefined;
        if (seen) {
          return seen.request_hash === input.requestHash
            ? { outcome: 'replayed', task: toTask(seen) }
            : { outcome: 'idempotency-conflict' };
        }
      }
      const agent = this.#sql('SELECT contact_endpoint FROM agents WHERE agent_id = ?').get(t.agentId) as { contact_endpoint: string } | undefined;
      if (!agent) return { outcome: 'agent-not-found' };
      this.#sql(
        `INSERT INTO tasks (task_id, agent_id, task_name, parameters, opscore_session_id, opscore_task_id, timeout_seconds,
           opscore_message, deadline, status, progress, message, result, error, created_at, updated_at, delivered_at, finished_at,
           idempotency_key, request_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, NULL, NULL, ?, ?)`,
      ).run(
        t.taskId, t.agentId, t.taskName, JSON.stringify(t.parameters), t.opscoreSessionId, t.opscoreTaskId,
        t.timeoutSeconds, t.opscoreMessage === null ? null : JSON.stringify(t.opscoreMessage), t.deadline, t.status,
        t.createdAt, t.updatedAt, input.idempotencyKey, input.requestHash,
      );
      this.#insertDelivery(input.delivery(agent.contact_endpoint));
      return { outcome: 'created', task: t };
    });
  }

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const row = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  async listTasks(page: PageRequest, filter: TaskFilter): Promise<Page<TaskRecord>> {
    const before = cursorSeq(page.cursor) ?? Number.MAX_SAFE_INTEGER;
    const where = ['seq < ?'];
    const args: unknown[] = [before];
    if (filter.agentId !== undefined) (where.push('agent_id = ?'), args.push(filter.agentId));
    if (filter.status !== undefined) (where.push('status = ?'), args.push(filter.status));
    const rows = this.#sql(`SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, page.limit + 1) as TaskRow[];
    return pageOf(rows, page.limit, toTask);
  }

  async reportTask(input: TaskReportInput): Promise<TaskReportResult> {
    return this.#write((): TaskReportResult => {
      const row = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(input.taskId) as TaskRow | undefined;
      if (!row) return { outcome: 'not-found' };
      const task = toTask(row);
      if (task.status === 'finished' || task.status === 'failed') {
        const same = (task.status === 'finished' && input.status === 'finished') || (task.status === 'failed' && input.status === 'failed');
        return same ? { outcome: 'updated', task } : { outcome: 'conflict', task };
      }
      const terminal = input.status !== 'running';
      const status = input.status === 'running' ? 'running' : input.status;
      const error = input.status === 'failed' ? (input.error ?? { code: 'failed', message: 'The agent reported a failure' }) : null;
      this.#sql(
        `UPDATE tasks SET status = ?, progress = COALESCE(?, progress), message = COALESCE(?, message),
           result = COALESCE(?, result), error = ?, updated_at = ?,
           delivered_at = COALESCE(delivered_at, ?), finished_at = ?
         WHERE seq = ?`,
      ).run(
        status,
        input.progress ?? (input.status === 'finished' ? 100 : null),
        input.message ?? null,
        encodeResult(input.hasResult, input.result),
        error === null ? null : JSON.stringify(error),
        input.now,
        input.now,
        terminal ? input.now : null,
        row.seq,
      );
      return { outcome: 'updated', task: toTask(this.#sql('SELECT * FROM tasks WHERE seq = ?').get(row.seq) as TaskRow) };
    });
  }

  async countTasks(): Promise<number> {
    return (this.#sql('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;
  }

  // ---- outbox ----------------------------------------------------------------------

  async claimDeliveries(now: number, limit: number, owner: string, leaseUntil: number, skipTargets: readonly string[] = []): Promise<DeliveryRecord[]> {
    return this.#write(() => {
      const skip = skipTargets.length > 0;
      // INDEXED BY: without statistics SQLite picks deliveries_by_status, reads every pending row and
      // sorts them (O(backlog) per claim); deliveries_due walks due rows in order and stops at LIMIT.
      // The walk passes every due row of a busy target, so that check is cheap and comes first:
      // the skip list is parsed once (a materialized CTE, not json_each per row) and tested before
      // the per-order-key subquery (SQLite evaluates these terms in the order written).
      const rows = this.#sql(
        `${skip ? 'WITH busy(prefix) AS MATERIALIZED (SELECT value FROM json_each(?))\n         ' : ''}SELECT d.* FROM deliveries d INDEXED BY deliveries_due
         WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)${
           skip ? `
           AND NOT EXISTS (SELECT 1 FROM busy WHERE substr(d.target_url || '/', 1, length(busy.prefix)) = busy.prefix)` : ''}
           AND (d.order_key IS NULL OR d.seq = (
             SELECT MIN(o.seq) FROM deliveries o WHERE o.order_key = d.order_key AND o.status = 'pending'))
         ORDER BY d.next_attempt_at, d.seq LIMIT ?`,
      ).all(...(skip ? [JSON.stringify(skipTargets), now, now, limit] : [now, now, limit])) as DeliveryRow[];
      const lease = this.#sql('UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE seq = ?');
      for (const r of rows) lease.run(owner, leaseUntil, r.seq);
      return rows.map((r) => toDelivery(r, []));
    });
  }

  async recordAttempt(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    return this.#write(() => {
      const row = this.#sql('SELECT * FROM deliveries WHERE delivery_id = ?').get(deliveryId) as DeliveryRow | undefined;
      // Someone else took the lease over (it lapsed): their attempt counts, not ours.
      if (!row || row.lease_owner !== owner || row.status !== 'pending') return;
      const number = row.attempts + 1;
      this.#sql('INSERT OR REPLACE INTO delivery_attempts (delivery_seq, attempt, at, status_code, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)').run(
        row.seq, number, attempt.at, attempt.statusCode, attempt.latencyMs, attempt.error,
      );
      const status = outcome.outcome === 'succeeded' ? 'succeeded' : outcome.outcome === 'failed' ? 'failed' : 'pending';
      const nextAt = outcome.outcome === 'retry' ? outcome.nextAttemptAt : row.next_attempt_at;
      this.#sql(
        `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
           last_status_code = ?, last_error = ?, last_latency_ms = ?, updated_at = ? WHERE seq = ?`,
      ).run(status, number, nextAt, attempt.statusCode, attempt.error, attempt.latencyMs, attempt.at, row.seq);
      if (row.kind !== 'task.delivery' || row.task_id === null) return;
      if (outcome.outcome === 'succeeded') {
        this.#sql("UPDATE tasks SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?), updated_at = ? WHERE task_id = ? AND status = 'queued'").run(
          attempt.at, attempt.at, row.task_id,
        );
      } else if (outcome.outcome === 'failed' && outcome.taskFailure) {
        const task = this.#sql('SELECT status FROM tasks WHERE task_id = ?').get(row.task_id) as { status: string } | undefined;
        if (task?.status !== 'queued') return; // the agent already took it (reported), keep its outcome
        this.#failTask(row.task_id, outcome.taskFailure.error, attempt.at);
        if (outcome.taskFailure.report) this.#insertDelivery(outcome.taskFailure.report);
      }
    });
  }

  async nextDueAt(now: number): Promise<number | null> {
    // The first unleased row in deliveries_due order: stops there instead of aggregating every pending row.
    const row = this.#sql(
      `SELECT next_attempt_at AS t FROM deliveries INDEXED BY deliveries_due
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT 1`,
    ).get(now) as { t: number } | undefined;
    return row?.t ?? null;
  }

  async releaseLeases(owner: string): Promise<void> {
    this.#sql('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?').run(owner);
  }

  async getDelivery(deliveryId: string): Promise<DeliveryRecord | null> {
    const row = this.#sql('SELECT * FROM deliveries WHERE delivery_id = ?').get(deliveryId) as DeliveryRow | undefined;
    return row ? toDelivery(row, this.#attempts([row.seq]).get(row.seq) ?? []) : null;
  }

  async listDeliveries(page: PageRequest, filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    const before = cursorSeq(page.cursor) ?? Number.MAX_SAFE_INTEGER;
    const where = ['seq < ?'];
    const args: unknown[] = [before];
    if (filter.status !== undefined) (where.push('status = ?'), args.push(filter.status));
    if (filter.kind !== undefined) (where.push('kind = ?'), args.push(filter.kind));
    if (filter.agentId !== undefined) (where.push('agent_id = ?'), args.push(filter.agentId));
    const rows = this.#sql(`SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, page.limit + 1) as DeliveryRow[];
    const attempts = this.#attempts(rows.slice(0, page.limit).map((r) => r.seq));
    return pageOf(rows, page.limit, (r) => toDelivery(r, attempts.get(r.seq) ?? []));
  }

  async redeliver(deliveryId: string, now: number, nowIso: string): Promise<RedeliverResult> {
    return this.#write((): RedeliverResult => {
      const row = this.#sql('SELECT * FROM deliveries WHERE delivery_id = ?').get(deliveryId) as DeliveryRow | undefined;
      if (!row) return { outcome: 'not-found' };
      if (row.status === 'pending') return { outcome: 'conflict', reason: 'The delivery is still pending; it will be attempted again by itself' };
      if (row.kind === 'task.delivery' && row.task_id !== null) {
        const task = this.#sql('SELECT status FROM tasks WHERE task_id = ?').get(row.task_id) as { status: string } | undefined;
        // A task that ended is not run again: dispatch it anew instead.
        if (task && (task.status === 'finished' || task.status === 'failed')) {
          return { outcome: 'conflict', reason: `The task already ended (${task.status}); dispatch it again instead` };
        }
      }
      // The retry budget starts afresh; the attempt log keeps the earlier attempts.
      this.#sql(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, expires_at = NULL, retry_base = attempts,
           lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
      ).run(now, nowIso, row.seq);
      const fresh = this.#sql('SELECT * FROM deliveries WHERE seq = ?').get(row.seq) as DeliveryRow;
      return { outcome: 'requeued', delivery: toDelivery(fresh, this.#attempts([fresh.seq]).get(fresh.seq) ?? []) };
    });
  }

  async outboxDepth(): Promise<Record<DeliveryKind, number>> {
    const rows = this.#sql("SELECT kind, COUNT(*) AS n FROM deliveries WHERE status = 'pending' GROUP BY kind").all() as {
      kind: DeliveryKind;
      n: number;
    }[];
    const depth: Record<DeliveryKind, number> = { 'agent.lifecycle': 0, 'task.delivery': 0, 'opscore.state': 0 };
    for (const r of rows) depth[r.kind] = r.n;
    return depth;
  }

  async expireOverdueTasks(cutoff: string, now: string, error: TaskError, report: (task: TaskRecord) => NewDelivery | null, limit: number): Promise<TaskRecord[]> {
    return this.#immediate(() => {
      const overdue = this.#sql(OVERDUE_TASKS_SQL).all(cutoff, limit) as { task_id: string }[];
      return overdue.map(({ task_id }) => {
        const task = this.#failTask(task_id, error, now);
        const delivery = report(task);
        if (delivery) this.#insertDelivery(delivery);
        return task;
      });
    });
  }

  // ---- helpers ---------------------------------------------------------------------

  #insertDelivery(d: NewDelivery): void {
    this.#sql(
      `INSERT INTO deliveries (delivery_id, webhook_id, kind, event_type, agent_id, task_id, target_url, payload, order_key,
         status, attempts, next_attempt_at, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`,
    ).run(d.deliveryId, d.webhookId, d.kind, d.eventType, d.agentId, d.taskId, d.targetUrl, d.payload, d.orderKey, d.nextAttemptAt, d.expiresAt, d.createdAt, d.createdAt);
  }

  #failTask(taskId: string, error: { code?: string; message: string }, now: string): TaskRecord {
    this.#sql("UPDATE tasks SET status = 'failed', error = ?, updated_at = ?, finished_at = ? WHERE task_id = ?").run(JSON.stringify(error), now, now, taskId);
    return toTask(this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow);
  }

  #attempts(seqs: number[]): Map<number, DeliveryAttempt[]> {
    const bySeq = new Map<number, DeliveryAttempt[]>();
    if (seqs.length === 0) return bySeq;
    const rows = this.#sql(`SELECT * FROM delivery_attempts WHERE delivery_seq IN (${seqs.map(() => '?').join(',')}) ORDER BY delivery_seq, attempt`).all(...seqs) as AttemptRow[];
    for (const r of rows) {
      const list = bySeq.get(r.delivery_seq) ?? [];
      list.push(toAttempt(r));
      bySeq.set(r.delivery_seq, list);
    }
    return bySeq;
  }
}

function pageOf<R extends { seq: number }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(last.seq) : null };
}
