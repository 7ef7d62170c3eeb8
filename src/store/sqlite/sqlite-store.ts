import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { admit, freeSlots, lastSeenStaleBefore, queueFull, restartLosesTasks, type AgentRecord } from '../../domain/agent.js';
import { decideRedelivery, type AttemptOutcome, type DeliveryAttempt, type DeliveryKind, type DeliveryRecord, type EndReport, type NewDelivery } from '../../domain/delivery.js';
import { decideCancel, decideReport, DEFAULT_MISSED_HEARTBEATS, delivered, failed, freesSlot, heartbeatTimeoutMs, leavesQueue, NOT_TAKEN, orphaned, TAKEN, taskErrors, undelivered, WITH_AGENT, type TaskRecord, type TaskStatus } from '../../domain/task.js';
import { taskEvents, type StoredTaskEvent } from '../../domain/task-events.js';
import { cursorSeq } from '../cursor.js';
import { attemptsBySeq, deliveryListQuery, depthByKind, LAST_SEEN_STALE_SQL, pageOf, replaceSecretSql, rotateSecretArgs, rotateSecretSql, rotatingSecretSql, type RotatingRow, sqlList, taskListQuery, tasksByStatus, toRotated } from '../queries.js';
import { AGENT_COLUMNS, type AgentRow, agentValues, type AttemptRow, type DeliveryRow, NEW_DELIVERY_COLUMNS, NEW_TASK_COLUMNS, newDeliveryValues, newTaskValues, TASK_EVENT_COLUMNS, TASK_STATE_COLUMNS, type TaskEventRow, taskEventValues, type TaskRow, taskStateValues, toAgent, toDelivery, toTask, toTaskEvent } from '../rows.js';
import type { AgentContact, CancelInput, CancelResult, CreateTaskInput, CreateTaskResult, DeliveryFilter, DeregisterInput, ExpiryRule, Page, PageRequest, RedeliverResult, RegisterInput, RegisterResult, RotateSecretInput, Store, TaskFilter, TaskReportInput, TaskReportResult } from '../types.js';
import { sqliteMigrations } from './migrations.js';
import { DELIVERIES_BY_STATUS_SQL, deliveriesByStatus, endedPerMinute, endedPerMinuteSql, hourAgo, recoverySelectSql, type RecoveryRow, requeueSql, taskDeliveriesSql, taskEventsArgs, taskEventsSql, tasksByAgent, TASKS_BY_AGENT_SQL } from '../console-queries.js';
import type { AgentTaskCounts, MinuteCounts, RecoverInput } from '../types.js';
import type { DeliveryStatus } from '../../domain/delivery.js';

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
 * The tasks each watchdog rule looks at, oldest first. INDEXED BY, because SQLite otherwise reads
 * every delivered task through tasks_by_status (most tasks have no deadline and no heartbeat due),
 * which makes the sweep, and every request waiting behind it, slower as the table grows.
 */
export const EXPIRY_SQL: Record<ExpiryRule['overdue'], string> = {
  deadline: `SELECT * FROM tasks INDEXED BY tasks_open_by_deadline
    WHERE status IN ${sqlList(TAKEN)} AND deadline IS NOT NULL AND deadline < ? ORDER BY deadline LIMIT ?`,
  heartbeat: `SELECT * FROM tasks INDEXED BY tasks_heartbeat_due
    WHERE status IN ${sqlList(TAKEN)} AND heartbeat_due_at IS NOT NULL AND heartbeat_due_at < ? ORDER BY heartbeat_due_at LIMIT ?`,
  cancel: `SELECT * FROM tasks INDEXED BY tasks_cancel_due
    WHERE status = 'canceling' AND cancel_due_at < ? ORDER BY cancel_due_at LIMIT ?`,
  waiting: `SELECT t.* FROM deliveries d INDEXED BY deliveries_held_expiry JOIN tasks t ON t.task_id = d.task_id
    WHERE d.held = 1 AND d.status = 'pending' AND d.expires_at IS NOT NULL AND d.expires_at < ? AND t.status IN ${sqlList(NOT_TAKEN)}
    ORDER BY d.expires_at LIMIT ?`,
};

/** Every taken task with a heartbeat due gets a full window from `now` again (TaskWatchdog.renew). */
export const RENEW_HEARTBEATS_SQL = `UPDATE tasks SET heartbeat_due_at = ? + heartbeat_timeout_ms
  WHERE status IN ${sqlList(TAKEN)} AND heartbeat_due_at IS NOT NULL AND heartbeat_due_at < ? + heartbeat_timeout_ms`;

/** The last error of a task delivery whose task's deadline passed while it waited for a slot. */
const WAITED_PAST_DEADLINE = 'The task deadline passed while it waited for a slot of its agent';

/** What a dispatch reads of its agent: where it lives, its heartbeat interval, its slots, its queue. */
const DISPATCH_AGENT_SQL = 'SELECT seq, contact_endpoint, heartbeat_interval_s, max_concurrent_tasks, active_tasks, queued_tasks FROM agents WHERE agent_id = ?';
interface SlotRow {
  max_concurrent_tasks: number | null;
  active_tasks: number;
}
interface DispatchAgentRow extends SlotRow {
  seq: number;
  queued_tasks: number;
  contact_endpoint: string;
  heartbeat_interval_s: number | null;
}
const slotsOf = (r: SlotRow) => ({ maxConcurrentTasks: r.max_concurrent_tasks, activeTasks: r.active_tasks });

const q = () => '?';
const marks = (n: number) => Array.from({ length: n }, q).join(', ');
const INSERT_TASK_SQL = `INSERT INTO tasks (${NEW_TASK_COLUMNS.join(', ')}) VALUES (${marks(NEW_TASK_COLUMNS.length)})`;
const INSERT_DELIVERY_SQL = `INSERT INTO deliveries (${NEW_DELIVERY_COLUMNS.join(', ')}, status, attempts)
  VALUES (${marks(NEW_DELIVERY_COLUMNS.length)}, 'pending', 0)`;
const UPDATE_TASK_STATE_SQL = `UPDATE tasks SET ${TASK_STATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE task_id = ?`;
const INSERT_TASK_EVENT_SQL = `INSERT INTO task_events (${TASK_EVENT_COLUMNS.join(', ')}) VALUES (${marks(TASK_EVENT_COLUMNS.length)})`;

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

  async registerAgent(input: RegisterInput): Promise<RegisterResult | null> {
    return this.#write((): RegisterResult | null => {
      const a = input.agent;
      const existingRow = this.#sql('SELECT * FROM agents WHERE agent_id = ?').get(a.agentId) as (AgentRow & { signing_secret: string }) | undefined;
      if (existingRow && input.onlyIfNew) return null;
      const existing = existingRow && { seq: existingRow.seq, signing_secret: existingRow.signing_secret };
      let issuedSecret: string | null = null;
      let seq: number;
      if (existing) {
        const secret = input.rotateSecret ? input.candidateSecret : existing.signing_secret;
        if (input.rotateSecret) issuedSecret = secret;
        const replaced = input.rotateSecret ? `, ${replaceSecretSql('signing-secret')}` : '';
        this.#sql(`UPDATE agents SET ${AGENT_COLUMNS.map((c) => `${c} = ?`).join(', ')}, signing_secret = ?, updated_at = ?, last_seen_at = ?${replaced} WHERE seq = ?`).run(
          ...agentValues(a), secret, input.now, input.now, existing.seq,
        );
        this.#sql('DELETE FROM agent_capabilities WHERE agent_seq = ?').run(existing.seq);
        seq = existing.seq;
      } else {
        issuedSecret = input.candidateSecret;
        seq = Number(
          this.#sql(`INSERT INTO agents (agent_id, ${AGENT_COLUMNS.join(', ')}, signing_secret, registered_at, updated_at, last_seen_at) VALUES (?, ${marks(AGENT_COLUMNS.length)}, ?, ?, ?, ?)`).run(
            a.agentId, ...agentValues(a), issuedSecret, input.now, input.now, input.now,
          ).lastInsertRowid,
        );
      }
      if (input.tokenHash !== null) this.#sql(`UPDATE agents SET token_hash = ?, ${replaceSecretSql('agent-token')} WHERE seq = ?`).run(input.tokenHash, seq);
      const addCapability = this.#sql('INSERT OR IGNORE INTO agent_capabilities (capability, agent_seq) VALUES (?, ?)');
      for (const c of a.capabilities) addCapability.run(c, seq);
      const endedTasks = existingRow && restartLosesTasks(toAgent(existingRow)) ? this.#endOrphans(a.agentId, input) : [];
      if (input.notification) this.#insertDelivery(input.notification);
      // A changed limit may let waiting tasks through.
      if (existing) this.#fillSlots(a.agentId, input.now);
      const row = this.#sql('SELECT * FROM agents WHERE seq = ?').get(seq) as AgentRow;
      return { agent: toAgent(row), created: !existing, issuedSecret, endedTasks };
    });
  }

  /** Ends the tasks a restarted agent had (the domain's orphaned), each with its report. */
  #endOrphans(agentId: string, input: RegisterInput): TaskRecord[] {
    const held = (this.#sql(`SELECT * FROM tasks WHERE agent_id = ? AND status IN ${sqlList(WITH_AGENT)} ORDER BY seq`).all(agentId) as TaskRow[]).map(toTask);
    return held.flatMap((task) => {
      const next = orphaned(task, input.now);
      if (!next) return [];
      this.#insertReport(input.restartReport(this.#saveTask(task, next)));
      return [next];
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
      const untaken = (this.#sql(`SELECT * FROM tasks WHERE agent_id = ? AND status IN ${sqlList(NOT_TAKEN)}`).all(input.agentId) as TaskRow[]).map(toTask);
      const failedTasks = untaken.map((task) => {
        const ended = this.#saveTask(task, failed(task, taskErrors.agentDeregistered(input.agentId), input.now));
        this.#sql(
          `UPDATE deliveries SET status = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
           WHERE task_id = ? AND kind = 'task.delivery' AND status = 'pending'`,
        ).run('Agent deregistered', input.now, task.taskId);
        this.#insertReport(input.endReport(ended));
        return ended;
      });
      return { agent, failedTasks };
    });
  }

  async getAgent(agentId: string): Promise<AgentRecord | null> {
    const row = this.#sql('SELECT * FROM agents WHERE agent_id = ?').get(agentId) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async agentTokenHashes(agentId: string) {
    return toRotated(this.#sql(rotatingSecretSql('agent-token', q)).get(agentId) as RotatingRow | undefined);
  }

  async rotateAgentSecret(input: RotateSecretInput): Promise<AgentRecord | null> {
    return this.#write(() => {
      const changed = this.#sql(rotateSecretSql(input.kind, q)).run(...rotateSecretArgs(input)).changes;
      if (changed === 0) return null;
      return toAgent(this.#sql('SELECT * FROM agents WHERE agent_id = ?').get(input.agentId) as AgentRow);
    });
  }

  async getAgentContact(agentId: string): Promise<AgentContact | null> {
    const row = this.#sql('SELECT contact_endpoint, signing_secret, previous_signing_secret, previous_secret_until FROM agents WHERE agent_id = ?').get(agentId) as
      | { contact_endpoint: string; signing_secret: string; previous_signing_secret: string | null; previous_secret_until: number | null }
      | undefined;
    return row
      ? { contactEndpoint: row.contact_endpoint, secrets: { current: row.signing_secret, previous: row.previous_signing_secret, previousUntil: row.previous_secret_until } }
      : null;
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
      const row = this.#sql(DISPATCH_AGENT_SQL).get(t.agentId) as DispatchAgentRow | undefined;
      if (!row) return { outcome: 'agent-not-found' };
      if (queueFull(row.queued_tasks, input.maxQueuedTasks ?? null)) return { outcome: 'queue-full', queued: row.queued_tasks };
      const admitted = admit(slotsOf(row));
      const task: TaskRecord = { ...t, heartbeatTimeoutMs: heartbeatTimeoutMs(row.heartbeat_interval_s, input.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS), holdsSlot: admitted === 'slot' };
      this.#sql('UPDATE agents SET queued_tasks = queued_tasks + 1, active_tasks = active_tasks + ? WHERE seq = ?').run(task.holdsSlot ? 1 : 0, row.seq);
      this.#sql(INSERT_TASK_SQL).run(...newTaskValues(task, input.idempotencyKey, input.requestHash));
      this.#logEvents(null, task);
      this.#insertDelivery(input.delivery(row.contact_endpoint), admitted === 'wait');
      return { outcome: 'created', task };
    });
  }

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const row = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  async listTasks(page: PageRequest, filter: TaskFilter): Promise<Page<TaskRecord>> {
    const { sql, args } = taskListQuery(page, filter, q);
    return pageOf(this.#sql(sql).all(...args) as TaskRow[], page.limit, toTask);
  }

  async reportTask(input: TaskReportInput): Promise<TaskReportResult> {
    return this.#write((): TaskReportResult => {
      const row = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(input.taskId) as TaskRow | undefined;
      if (!row) return { outcome: 'not-found' };
      input.checkReporter?.(row.agent_id);
      const task = toTask(row);
      const decision = decideReport(task, input.report, input.hasResult, input.now);
      this.#sql(`UPDATE agents SET last_seen_at = ? WHERE agent_id = ? AND ${LAST_SEEN_STALE_SQL('?')}`).run(input.now, task.agentId, lastSeenStaleBefore(input.now));
      if (decision.outcome !== 'unchanged') this.#saveTask(task, decision.task);
      return decision.outcome === 'conflict' ? decision : { outcome: 'updated', task: decision.task };
    });
  }

  async cancelTask(input: CancelInput): Promise<CancelResult> {
    return this.#write((): CancelResult => {
      const row = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(input.taskId) as TaskRow | undefined;
      if (!row) return { outcome: 'not-found' };
      const task = toTask(row);
      const decision = decideCancel(task, input.reason, input.now, input.graceMs);
      if (decision.outcome === 'conflict') return decision;
      if (decision.task !== task) this.#saveTask(task, decision.task);
      if (decision.outcome === 'canceled' && decision.task !== task) {
        // Never delivered, and now never will be.
        this.#sql(
          `UPDATE deliveries SET status = 'canceled', held = 0, lease_owner = NULL, lease_until = NULL, updated_at = ?
           WHERE task_id = ? AND kind = 'task.delivery' AND status = 'pending'`,
        ).run(input.now, task.taskId);
      }
      if (decision.outcome === 'canceling' && decision.notify) {
        const contact = this.#sql('SELECT contact_endpoint FROM agents WHERE agent_id = ?').get(task.agentId) as { contact_endpoint: string } | undefined;
        if (contact) this.#insertDelivery(input.notice(decision.task, contact.contact_endpoint));
      }
      return { outcome: decision.outcome, task: decision.task };
    });
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

  async recordAttempt(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: AttemptOutcome, endReport: EndReport): Promise<void> {
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
      if (row.kind !== 'task.delivery' || row.task_id === null || outcome.outcome === 'retry') return;
      const taskRow = this.#sql('SELECT * FROM tasks WHERE task_id = ?').get(row.task_id) as TaskRow | undefined;
      if (!taskRow) return;
      const task = toTask(taskRow);
      if (outcome.outcome === 'succeeded') {
        const next = delivered(task, attempt.at);
        if (next) this.#saveTask(task, next);
      } else if (outcome.taskError) {
        const next = undelivered(task, outcome.taskError, attempt.at);
        if (next) this.#insertReport(endReport(this.#saveTask(task, next)));
      }
    });
  }

  async nextDueAt(now: number): Promise<number | null> {
    // The first unleased row in deliveries_due order: stops there instead of aggregating every pending row.
    const row = this.#sql(
      `SELECT next_attempt_at AS t FROM deliveries INDEXED BY deliveries_due
       WHERE status = 'pending' AND held = 0 AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT 1`,
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
    const { sql, args } = deliveryListQuery(page, filter, q);
    const rows = this.#sql(sql).all(...args) as DeliveryRow[];
    const attempts = this.#attempts(rows.slice(0, page.limit).map((r) => r.seq));
    return pageOf(rows, page.limit, (r) => toDelivery(r, attempts.get(r.seq) ?? []));
  }

  async redeliver(deliveryId: string, now: number, nowIso: string): Promise<RedeliverResult> {
    return this.#write((): RedeliverResult => {
      const row = this.#sql('SELECT * FROM deliveries WHERE delivery_id = ?').get(deliveryId) as DeliveryRow | undefined;
      if (!row) return { outcome: 'not-found' };
      const task = row.task_id === null ? null : ((this.#sql('SELECT status FROM tasks WHERE task_id = ?').get(row.task_id) as { status: TaskStatus } | undefined) ?? null);
      const decision = decideRedelivery(row, task);
      if (!decision.ok) return { outcome: 'conflict', reason: decision.reason };
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
    return depthByKind(this.#sql("SELECT kind, COUNT(*) AS n FROM deliveries WHERE status = 'pending' GROUP BY kind").all() as Array<{ kind: DeliveryKind; n: number }>);
  }

  async counts(): Promise<{ agents: number; tasks: Record<TaskStatus, number> }> {
    const agents = (this.#sql('SELECT COUNT(*) AS n FROM agents').get() as { n: number }).n;
    const tasks = tasksByStatus(this.#sql('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as Array<{ status: TaskStatus; n: number }>);
    return { agents, tasks };
  }

  async renewHeartbeats(now: number): Promise<number> {
    return this.#write(() => this.#sql(RENEW_HEARTBEATS_SQL).run(now, now).changes);
  }

  async expireTasks(rule: ExpiryRule, limit: number): Promise<TaskRecord[]> {
    const before = rule.overdue === 'deadline' ? new Date(rule.before).toISOString() : rule.before;
    return this.#write(() =>
      (this.#sql(EXPIRY_SQL[rule.overdue]).all(before, limit) as TaskRow[]).map((row) => {
        const task = toTask(row);
        const ended = this.#saveTask(task, rule.end(task));
        if (rule.overdue === 'waiting') {
          this.#sql(
            `UPDATE deliveries SET status = 'failed', held = 0, last_error = ?, updated_at = ? WHERE task_id = ? AND kind = 'task.delivery' AND status = 'pending'`,
          ).run(WAITED_PAST_DEADLINE, ended.updatedAt, task.taskId);
        }
        this.#insertReport(rule.report(ended));
        return ended;
      }),
    );
  }

  // ---- console (issue 14) --------------------------------------------------------

  async deliveryCounts(): Promise<Record<DeliveryStatus, number>> {
    return deliveriesByStatus(this.#sql(DELIVERIES_BY_STATUS_SQL).all() as Array<{ status: DeliveryStatus; n: number }>);
  }

  async tasksByAgent(): Promise<AgentTaskCounts[]> {
    return tasksByAgent(this.#sql(TASKS_BY_AGENT_SQL).all() as Array<{ agent_id: string; status: TaskStatus; n: number }>);
  }

  async endedPerMinute(now: Date): Promise<MinuteCounts[]> {
    return endedPerMinute(this.#sql(endedPerMinuteSql(q)).all(hourAgo(now)) as Array<{ minute: string; status: TaskStatus; n: number }>, now);
  }

  async taskDeliveries(taskId: string): Promise<DeliveryRecord[]> {
    const rows = this.#sql(taskDeliveriesSql(q)).all(taskId) as DeliveryRow[];
    const attempts = this.#attempts(rows.map((r) => r.seq));
    return rows.map((r) => toDelivery(r, attempts.get(r.seq) ?? []));
  }

  async taskEvents(taskId: string, page: PageRequest): Promise<Page<StoredTaskEvent>> {
    return pageOf(this.#sql(taskEventsSql(q)).all(...taskEventsArgs(taskId, page)) as TaskEventRow[], page.limit, toTaskEvent);
  }

  async recoverDeliveries(input: RecoverInput): Promise<string[]> {
    return this.#write(() => {
      const args: unknown[] = [input.since, input.until, ...(input.kind ? [input.kind] : [])];
      const found = this.#sql(recoverySelectSql(q, input.kind !== undefined)).all(...args) as RecoveryRow[];
      const requeue = this.#sql(requeueSql(q));
      const ids: string[] = [];
      for (const r of found) {
        if (!decideRedelivery(r, r.task_status === null ? null : { status: r.task_status }).ok) continue;
        // One ms apart, so the worker (due time, then seq) sends them in creation order.
        requeue.run(input.now + ids.length, input.nowIso, r.seq);
        ids.push(r.delivery_id);
      }
      return ids;
    });
  }

  // ---- helpers ---------------------------------------------------------------------

  /** `held`: a task delivery that waits for a slot of its agent. */
  #insertDelivery(d: NewDelivery, held = false): void {
    this.#sql(INSERT_DELIVERY_SQL).run(...newDeliveryValues(d, held));
  }

  #insertReport(report: NewDelivery | null): void {
    if (report) this.#insertDelivery(report);
  }

  /** Writes the state a domain rule gave the task (`before` it: what it was) and its events; a task that ends gives its slot back. Returns `next`. */
  #saveTask(before: TaskRecord, next: TaskRecord): TaskRecord {
    this.#sql(UPDATE_TASK_STATE_SQL).run(...taskStateValues(next), next.taskId);
    this.#logEvents(before, next);
    const left = leavesQueue(before, next) ? 1 : 0;
    const frees = freesSlot(before, next) ? 1 : 0;
    if (left + frees > 0) {
      this.#sql('UPDATE agents SET queued_tasks = MAX(queued_tasks - ?, 0), active_tasks = MAX(active_tasks - ?, 0) WHERE agent_id = ?').run(left, frees, next.agentId);
      if (frees) this.#fillSlots(next.agentId, next.updatedAt);
    }
    return next;
  }

  /** Appends to the task's event log what the change from `before` (null: just dispatched) to `next` adds (the domain's taskEvents). */
  #logEvents(before: TaskRecord | null, next: TaskRecord): void {
    for (const e of taskEvents(before, next)) this.#sql(INSERT_TASK_EVENT_SQL).run(...taskEventValues(e));
  }

  /** Lets the agent's oldest waiting tasks through while it has slots free (see domain/agent.ts, admit). */
  #fillSlots(agentId: string, now: string): void {
    const row = this.#sql('SELECT max_concurrent_tasks, active_tasks FROM agents WHERE agent_id = ?').get(agentId) as SlotRow | undefined;
    const free = row ? freeSlots(slotsOf(row)) : 0;
    if (free === 0) return;
    // In dispatch order; no limit (null) lets every waiting delivery go.
    const waiting = this.#sql(
      `SELECT seq, task_id FROM deliveries INDEXED BY deliveries_held WHERE agent_id = ? AND held = 1 AND status = 'pending' ORDER BY seq LIMIT ?`,
    ).all(agentId, free ?? -1) as Array<{ seq: number; task_id: string }>;
    if (waiting.length === 0) return;
    const release = this.#sql('UPDATE deliveries SET held = 0, next_attempt_at = ?, updated_at = ? WHERE seq = ?');
    const hold = this.#sql('UPDATE tasks SET holds_slot = 1 WHERE task_id = ?');
    for (const w of waiting) {
      release.run(Date.parse(now), now, w.seq);
      if (free !== null) hold.run(w.task_id);
    }
    if (free !== null) this.#sql('UPDATE agents SET active_tasks = active_tasks + ? WHERE agent_id = ?').run(waiting.length, agentId);
  }

  #attempts(seqs: number[]): Map<number, DeliveryAttempt[]> {
    if (seqs.length === 0) return new Map();
    return attemptsBySeq(this.#sql(`SELECT * FROM delivery_attempts WHERE delivery_seq IN (${seqs.map(q).join(',')}) ORDER BY delivery_seq, attempt`).all(...seqs) as AttemptRow[]);
  }
}
