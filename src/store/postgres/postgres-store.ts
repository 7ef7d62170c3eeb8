import pg from 'pg';
import { admit, lastSeenStaleBefore, queueFull, restartLosesTasks, type AgentRecord } from '../../domain/agent.js';
import { decideRedelivery, type AttemptOutcome, type DeliveryAttempt, type DeliveryKind, type DeliveryRecord, type EndReport, type NewDelivery } from '../../domain/delivery.js';
import { CANCELING, decideCancel, decideReport, DEFAULT_MISSED_HEARTBEATS, failed, freesSlot, heartbeatTimeoutMs, NOT_TAKEN, orphaned, TAKEN, taskErrors, undelivered, WITH_AGENT, type TaskRecord, type TaskStatus } from '../../domain/task.js';
import { taskEvents, type StoredTaskEvent, type TaskEvent } from '../../domain/task-events.js';
import { cursorSeq } from '../cursor.js';
import { attemptsBySeq, deliveryListQuery, depthByKind, LAST_SEEN_STALE_SQL, pageOf, replaceSecretSql, rotateSecretArgs, rotateSecretSql, rotatingSecretSql, type RotatingRow, sqlList, taskListQuery, tasksByStatus, toRotated } from '../queries.js';
import { AGENT_COLUMNS, type AgentRow, agentValues, type AttemptRow, type DeliveryRow, NEW_DELIVERY_COLUMNS, NEW_TASK_COLUMNS, newDeliveryValues, newTaskValues, TASK_EVENT_COLUMNS, TASK_STATE_COLUMNS, type TaskEventRow, taskEventValues, type TaskRow, taskStateValues, toAgent, toDelivery, toTask, toTaskEvent } from '../rows.js';
import type { AgentContact, CancelInput, CancelResult, CreateTaskInput, CreateTaskResult, DeliveryFilter, DeregisterInput, ExpiryRule, Page, PageRequest, RedeliverResult, RegisterInput, RegisterResult, RotateSecretInput, Store, TaskFilter, TaskReportInput, TaskReportResult } from '../types.js';
import { parsePostgresUrl } from './connection.js';
import { postgresMigrations } from './migrations.js';
import { DELIVERIES_BY_STATUS_SQL, deliveriesByStatus, endedPerMinute, endedPerMinuteSql, hourAgo, recoverySelectSql, type RecoveryRow, requeueSql, taskDeliveriesSql, taskEventsArgs, taskEventsSql, tasksByAgent, TASKS_BY_AGENT_SQL } from '../console-queries.js';
import type { AgentTaskCounts, MinuteCounts, RecoverInput } from '../types.js';
import type { DeliveryStatus } from '../../domain/delivery.js';

export interface PostgresStoreOptions {
  /** A postgres:// or postgresql:// URL; `?schema=name` picks the schema (created at start). */
  url: string;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** Server-side limit for each statement (lock waits included), ms; 0: none. Default 30000. */
  statementTimeoutMs?: number;
  /** How long to wait for a new connection, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Told about errors of idle pooled connections (e.g. the server restarted); the pool replaces them. */
  onBackgroundError?: (err: Error) => void;
}

type Db = pg.Pool | pg.PoolClient;

// Advisory-lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
const LOCK_MIGRATE = 0x41_4b_01;
const LOCK_ORDER_KEY = 0x41_4b_02;

// SQLSTATEs for which a whole transaction is worth running again.
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_TX_RUNS = 5;

// BIGINT (int8) columns hold seqs, counts and epoch ms: all well within 2^53.
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Begins the claim's transaction (one round trip): walk the due index in order and stop at the limit. With a
 * backlog that grew faster than the table's statistics (autovacuum analyzes it later, at best),
 * the planner otherwise picks a bitmap scan of every due row and a sort, so each claim costs in
 * proportion to the backlog (bench/micro/pg-outbox.ts prints both plans with `EXPLAIN=1`).
 */
export const BEGIN_ORDERED_WALK_SQL = 'BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off';

/**
 * Leases up to $2 due deliveries to $3 until $4 ($1 now), first in their order key, in due
 * order; with `skipTargets`, none whose target starts with one of $5.
 */
export const claimSql = (skipTargets: boolean): string => `
WITH due AS (
  SELECT d.seq FROM deliveries d
  WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
    AND (d.order_key IS NULL OR d.seq = (
      SELECT MIN(o.seq) FROM deliveries o WHERE o.order_key = d.order_key AND o.status = 'pending'))${
    skipTargets ? `
    AND NOT EXISTS (SELECT 1 FROM unnest($5::text[]) s(t) WHERE left(d.target_url || '/', length(s.t)) = s.t)` : ''}
  ORDER BY d.next_attempt_at, d.seq
  LIMIT $2
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE deliveries d SET lease_owner = $3, lease_until = $4 FROM due WHERE d.seq = due.seq
RETURNING d.*`;

/**
 * Records an attempt on a delivery still leased to its sender ($1 delivery id, $2 owner,
 * $3 next attempt at or null, $4 status code, $5 error, $6 latency, $7 attempt time): when
 * someone else took the lease over (it lapsed), nothing is changed, as their attempt counts.
 * One statement, in deregistration's lock order: `t` locks the task a task delivery carries,
 * and the delivery's UPDATE names `t` in an uncorrelated subquery (an InitPlan, evaluated
 * before the row it qualifies is locked), so the task's lock comes first.
 */
const recordAttemptSql = (status: 'succeeded' | 'pending', thenSql: string): string => `
WITH t AS MATERIALIZED (
  SELECT task_id FROM tasks WHERE task_id = (
    SELECT task_id FROM deliveries WHERE delivery_id = $1 AND kind = 'task.delivery') FOR UPDATE
), d AS (
  UPDATE deliveries SET status = '${status}', attempts = attempts + 1, next_attempt_at = COALESCE($3::bigint, next_attempt_at),
    lease_owner = NULL, lease_until = NULL, last_status_code = $4, last_error = $5, last_latency_ms = $6, updated_at = $7
  WHERE delivery_id = $1 AND lease_owner = $2 AND status = 'pending' AND (SELECT COUNT(*) FROM t) >= 0
  RETURNING seq, attempts, kind, task_id
), a AS (
  INSERT INTO delivery_attempts (delivery_seq, attempt, at, status_code, latency_ms, error)
  SELECT seq, attempts, $7, $4, $6, $5 FROM d
  ON CONFLICT (delivery_seq, attempt) DO UPDATE SET at = EXCLUDED.at, status_code = EXCLUDED.status_code,
    latency_ms = EXCLUDED.latency_ms, error = EXCLUDED.error
)
${thenSql}`;

/**
 * A success ($8: the attempt's time as epoch ms): the task moves on as the domain's `delivered`
 * says (a task the agent has not taken becomes `delivered`, its first heartbeat due a timeout from
 * now), written here as one statement with the outbox bookkeeping.
 */
const RECORD_SUCCESS_SQL = recordAttemptSql(
  'succeeded',
  `UPDATE tasks SET status = 'delivered', delivered_at = COALESCE(delivered_at, $7), updated_at = $7,
     heartbeat_due_at = CASE WHEN tasks.heartbeat_timeout_ms IS NULL THEN NULL ELSE $8::bigint + tasks.heartbeat_timeout_ms END
   FROM d WHERE d.kind = 'task.delivery' AND tasks.task_id = d.task_id AND tasks.status IN ${sqlList(NOT_TAKEN)}`,
);
/** An attempt to try again at $3. */
const RECORD_RETRY_SQL = recordAttemptSql('pending', 'SELECT 1');

/** The tasks each watchdog rule looks at, oldest first; SKIP LOCKED: a task another replica (or a report) holds is left to it. */
const EXPIRY_SQL: Record<ExpiryRule['overdue'], string> = {
  deadline: `SELECT * FROM tasks WHERE status IN ${sqlList(TAKEN)} AND deadline IS NOT NULL AND deadline < $1 ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED`,
  heartbeat: `SELECT * FROM tasks WHERE status IN ${sqlList(TAKEN)} AND heartbeat_due_at IS NOT NULL AND heartbeat_due_at < $1
    ORDER BY heartbeat_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
  cancel: `SELECT * FROM tasks WHERE status IN ${sqlList(CANCELING)} AND cancel_due_at < $1 ORDER BY cancel_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
  waiting: `SELECT t.* FROM tasks t WHERE t.status IN ${sqlList(NOT_TAKEN)} AND t.task_id IN (
      SELECT d.task_id FROM deliveries d WHERE d.held = 1 AND d.status = 'pending' AND d.expires_at IS NOT NULL AND d.expires_at < $1 ORDER BY d.expires_at LIMIT $2)
    FOR UPDATE OF t SKIP LOCKED`,
};

/** The last error of a task delivery whose task's deadline passed while it waited for a slot. */
const WAITED_PAST_DEADLINE = 'The task deadline passed while it waited for a slot of its agent';

const ph = (n: number) => `$${n}`;
const marks = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ph(from + i)).join(', ');
const UPDATE_TASK_STATE_SQL = `UPDATE tasks SET ${TASK_STATE_COLUMNS.map((c, i) => `${c} = ${ph(i + 1)}`).join(', ')} WHERE task_id = ${ph(TASK_STATE_COLUMNS.length + 1)}`;
const EVENT_COLUMNS = TASK_EVENT_COLUMNS.length;
/** The VALUES rows of `count` task events whose parameters start at `from`. */
const eventRows = (count: number, from: number) =>
  Array.from({ length: count }, (_, i) => `(${marks(EVENT_COLUMNS, from + i * EVENT_COLUMNS)})`).join(', ');
/**
 * The task's new state and the events it adds, in one statement (one round trip, as before the
 * event log): UPDATE_TASK_STATE_SQL's parameters, then each event's. By number of events.
 */
const saveTaskSql = (() => {
  const cache = new Map<number, string>();
  return (events: number): string => {
    if (events === 0) return UPDATE_TASK_STATE_SQL;
    let sql = cache.get(events);
    if (!sql) {
      sql = `WITH s AS (${UPDATE_TASK_STATE_SQL})
        INSERT INTO task_events (${TASK_EVENT_COLUMNS.join(', ')}) VALUES ${eventRows(events, TASK_STATE_COLUMNS.length + 2)}`;
      cache.set(events, sql);
    }
    return sql;
  };
})();
const INSERT_TASK_EVENT_SQL = `INSERT INTO task_events (${TASK_EVENT_COLUMNS.join(', ')}) VALUES ${eventRows(1, 1)}`;
const INSERT_DELIVERY_SQL = `INSERT INTO deliveries (${NEW_DELIVERY_COLUMNS.join(', ')}, status, attempts) VALUES (${marks(NEW_DELIVERY_COLUMNS.length)}, 'pending', 0)`;
/**
 * How many tasks the agent (its placeholders given) has not taken, counted up to the cap
 * only (through the index tasks_queued_by_agent): with no cap (null), LIMIT 0 counts nothing.
 */
const queuedCountSql = (agentId: string, cap: string) =>
  `SELECT count(*)::int AS n FROM (SELECT 1 FROM tasks WHERE agent_id = ${agentId} AND status IN ${sqlList(NOT_TAKEN)} LIMIT COALESCE(${cap}::int, 0)) x`;

/**
 * A task without an idempotency key and its (unordered) delivery in one statement, stored only if
 * the agent is still as it was read: the same endpoint (the delivery was built for it), the same
 * heartbeat interval (the task's heartbeat timeout follows from it) and no limit on its tasks (a
 * limited agent's dispatch takes its row lock to count them), and its queue is not full (the cap,
 * or null).
 * A key-share lock on the agent's row holds to commit, so a deregistration waits for this dispatch
 * (and then fails the task). The parameters: the new task's values, the delivery's, then endpoint, interval and cap,
 * then the task's `dispatched` event's values (its event log starts in the same statement).
 */
const INSERT_TASK_IF_AGENT_AS_READ_SQL = (() => {
  const taskMarks = marks(NEW_TASK_COLUMNS.length);
  const deliveryMarks = marks(NEW_DELIVERY_COLUMNS.length, NEW_TASK_COLUMNS.length + 1);
  const endpoint = ph(NEW_TASK_COLUMNS.length + NEW_DELIVERY_COLUMNS.length + 1);
  const interval = ph(NEW_TASK_COLUMNS.length + NEW_DELIVERY_COLUMNS.length + 2);
  const cap = ph(NEW_TASK_COLUMNS.length + NEW_DELIVERY_COLUMNS.length + 3);
  const eventMarks = marks(TASK_EVENT_COLUMNS.length, NEW_TASK_COLUMNS.length + NEW_DELIVERY_COLUMNS.length + 4);
  const agentId = ph(NEW_TASK_COLUMNS.indexOf('agent_id') + 1);
  return `WITH q AS (${queuedCountSql(agentId, cap)}),
    a AS (SELECT agent_id FROM agents, q WHERE agent_id = ${agentId} AND contact_endpoint = ${endpoint}
      AND heartbeat_interval_s IS NOT DISTINCT FROM ${interval}::integer AND max_concurrent_tasks IS NULL
      AND (${cap}::int IS NULL OR q.n < ${cap}::int) FOR KEY SHARE OF agents),
    t AS (INSERT INTO tasks (${NEW_TASK_COLUMNS.join(', ')}) SELECT ${taskMarks} FROM a RETURNING task_id),
    d AS (INSERT INTO deliveries (${NEW_DELIVERY_COLUMNS.join(', ')}, status, attempts) SELECT ${deliveryMarks}, 'pending', 0 FROM a, t),
    e AS (INSERT INTO task_events (${TASK_EVENT_COLUMNS.join(', ')}) SELECT ${eventMarks} FROM t)
    SELECT EXISTS (SELECT 1 FROM a) AS stored, (SELECT n FROM q) AS queued`;
})();

/**
 * The store for several AgentKit processes sharing one PostgreSQL database. Behaves as
 * the SQLite store does; what differs is how it stays correct with other processes:
 *
 * - Deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease (owner, until): a
 *   delivery is worked by one process at a time, and one killed mid-delivery loses its
 *   lease when it lapses (nothing is cleared at start: other processes may hold leases).
 * - Deliveries with an order key are inserted under a transaction-scoped advisory lock on
 *   that key, so their sequence order is their commit order; only the lowest pending
 *   sequence of a key is claimable, so a key's deliveries go out one by one, in order.
 * - Agent rows are locked by registration and deregistration (and key-share locked by
 *   dispatch), which orders one agent's REGISTER/DEREGISTER across processes.
 * - Idempotency keys rest on a unique index; a racing duplicate becomes a replay.
 * - Lock order is agent, then task, then delivery, everywhere; a deadlock or
 *   serialization failure anyway reruns the whole transaction.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #schema: string | null;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    const target = parsePostgresUrl(options.url);
    this.#schema = target.schema;
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    this.#pool = new pg.Pool({
      connectionString: target.connectionString,
      ...(target.options !== undefined ? { options: target.options } : {}),
      max: options.poolSize ?? 10,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: 'agentkit',
      types,
    });
    // An idle connection that breaks must not crash the process; the pool drops it.
    this.#pool.on('error', (err) => options.onBackgroundError?.(err));
  }

  /** The schema the tables live in (null: the server's default). */
  get schema(): string | null {
    return this.#schema;
  }

  async migrate(): Promise<void> {
    // Several processes may start at once: the first takes the lock and migrates, the
    // others wait for it and then find nothing left to do.
    await this.#tx(async (c) => {
      const schema = this.#schema;
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_MIGRATE, `migrate:${schema ?? ''}`]);
      if (schema !== null) {
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await c.query(`SET LOCAL search_path TO "${schema}"`);
      }
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      const applied = new Set((await rows<{ version: number }>(c, 'SELECT version FROM schema_migrations')).map((r) => r.version));
      for (const m of postgresMigrations) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, new Date().toISOString()]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  // ---- agents ----------------------------------------------------------------------

  async registerAgent(input: RegisterInput): Promise<RegisterResult | null> {
    return this.#tx(async (c): Promise<RegisterResult | null> => {
      const a = input.agent;
      let existing = await one<AgentRow & { signing_secret: string }>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR NO KEY UPDATE', [a.agentId]);
      if (existing && input.onlyIfNew) return null;
      let seq: number | null = null;
      let issuedSecret: string | null = null;
      if (!existing) {
        const inserted = await one<{ seq: number }>(
          c,
          `INSERT INTO agents (agent_id, ${AGENT_COLUMNS.join(', ')}, signing_secret, registered_at, updated_at, last_seen_at)
           VALUES ($1, ${marks(AGENT_COLUMNS.length, 2)}, ${ph(AGENT_COLUMNS.length + 2)}, ${ph(AGENT_COLUMNS.length + 3)}, ${ph(AGENT_COLUMNS.length + 3)}, ${ph(AGENT_COLUMNS.length + 3)})
           ON CONFLICT (agent_id) DO NOTHING RETURNING seq`,
          [a.agentId, ...agentValues(a), input.candidateSecret, input.now],
        );
        if (inserted) {
          seq = inserted.seq;
          issuedSecret = input.candidateSecret;
        } else {
          // Another process registered the same agent a moment ago: this becomes an update.
          existing = await one<AgentRow & { signing_secret: string }>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR NO KEY UPDATE', [a.agentId]);
          if (!existing) throw new RetryTransaction();
          if (input.onlyIfNew) return null;
        }
      }
      if (existing) {
        const secret = input.rotateSecret ? input.candidateSecret : existing.signing_secret;
        if (input.rotateSecret) issuedSecret = secret;
        const replaced = input.rotateSecret ? `, ${replaceSecretSql('signing-secret')}` : '';
        await c.query(
          `UPDATE agents SET ${AGENT_COLUMNS.map((col, i) => `${col} = ${ph(i + 1)}`).join(', ')}, signing_secret = ${ph(AGENT_COLUMNS.length + 1)},
             updated_at = ${ph(AGENT_COLUMNS.length + 2)}, last_seen_at = ${ph(AGENT_COLUMNS.length + 2)}${replaced} WHERE seq = ${ph(AGENT_COLUMNS.length + 3)}`,
          [...agentValues(a), secret, input.now, existing.seq],
        );
        await c.query('DELETE FROM agent_capabilities WHERE agent_seq = $1', [existing.seq]);
        seq = existing.seq;
      }
      if (input.tokenHash !== null) await c.query(`UPDATE agents SET token_hash = $1, ${replaceSecretSql('agent-token')} WHERE seq = $2`, [input.tokenHash, seq]);
      if (a.capabilities.length > 0) {
        await c.query(
          'INSERT INTO agent_capabilities (capability, agent_seq) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING',
          [a.capabilities, seq],
        );
      }
      const endedTasks = existing && restartLosesTasks(toAgent(existing)) ? await this.#endOrphans(c, a.agentId, input) : [];
      if (input.notification) await this.#insertDelivery(c, input.notification);
      // A changed limit may let waiting tasks through.
      if (existing) await this.#fillSlots(c, a.agentId, input.now);
      const row = (await one<AgentRow>(c, 'SELECT * FROM agents WHERE seq = $1', [seq]))!;
      return { agent: toAgent(row), created: !existing, issuedSecret, endedTasks };
    });
  }

  /** Ends the tasks a restarted agent had (the domain's orphaned), each with its report; the agent's row is locked already. */
  async #endOrphans(c: pg.PoolClient, agentId: string, input: RegisterInput): Promise<TaskRecord[]> {
    const held = await rows<TaskRow>(c, `SELECT * FROM tasks WHERE agent_id = $1 AND status IN ${sqlList(WITH_AGENT)} ORDER BY seq FOR UPDATE`, [agentId]);
    const ended: TaskRecord[] = [];
    for (const task of held.map(toTask)) {
      const next = orphaned(task, input.now);
      if (!next) continue;
      await this.#insertReport(c, input.restartReport(await this.#saveTask(c, task, next)));
      ended.push(next);
    }
    return ended;
  }

  async deregisterAgent(input: DeregisterInput): Promise<{ agent: AgentRecord; failedTasks: TaskRecord[] } | null> {
    return this.#tx(async (c) => {
      const row = await one<AgentRow>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR UPDATE', [input.agentId]);
      if (!row) return null;
      const agent = toAgent(row);
      await c.query('DELETE FROM agents WHERE seq = $1', [row.seq]);
      const notification = input.notification(agent);
      if (notification) await this.#insertDelivery(c, notification);
      // Dispatches of this agent committed before our lock are visible to this statement.
      const untaken = (await rows<TaskRow>(c, `SELECT * FROM tasks WHERE agent_id = $1 AND status IN ${sqlList(NOT_TAKEN)} ORDER BY seq FOR UPDATE`, [input.agentId])).map(toTask);
      const failedTasks: TaskRecord[] = [];
      for (const task of untaken) {
        const ended = await this.#saveTask(c, task, failed(task, taskErrors.agentDeregistered(input.agentId), input.now));
        failedTasks.push(ended);
        await c.query(
          `UPDATE deliveries SET status = 'failed', last_error = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2
           WHERE task_id = $3 AND kind = 'task.delivery' AND status = 'pending'`,
          ['Agent deregistered', input.now, task.taskId],
        );
        await this.#insertReport(c, input.endReport(ended));
      }
      return { agent, failedTasks };
    });
  }

  async getAgent(agentId: string): Promise<AgentRecord | null> {
    const row = await one<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE agent_id = $1', [agentId]);
    return row ? toAgent(row) : null;
  }

  async agentTokenHashes(agentId: string) {
    return toRotated((await one<RotatingRow>(this.#pool, rotatingSecretSql('agent-token', ph), [agentId])) ?? undefined);
  }

  async rotateAgentSecret(input: RotateSecretInput): Promise<AgentRecord | null> {
    const row = await one<AgentRow>(this.#pool, `${rotateSecretSql(input.kind, ph)} RETURNING *`, rotateSecretArgs(input));
    return row ? toAgent(row) : null;
  }

  async getAgentContact(agentId: string): Promise<AgentContact | null> {
    const row = await one<{ contact_endpoint: string; signing_secret: string; previous_signing_secret: string | null; previous_secret_until: string | null }>(
      this.#pool, 'SELECT contact_endpoint, signing_secret, previous_signing_secret, previous_secret_until FROM agents WHERE agent_id = $1', [agentId],
    );
    return row
      ? {
          contactEndpoint: row.contact_endpoint,
          secrets: { current: row.signing_secret, previous: row.previous_signing_secret, previousUntil: row.previous_secret_until === null ? null : Number(row.previous_secret_until) },
        }
      : null;
  }

  async listAgents(page: PageRequest, filter: { capability?: string | undefined }): Promise<Page<AgentRecord>> {
    const after = cursorSeq(page.cursor) ?? 0;
    const found =
      filter.capability === undefined
        ? await rows<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE seq > $1 ORDER BY seq LIMIT $2', [after, page.limit + 1])
        : await rows<AgentRow>(
            this.#pool,
            `SELECT a.* FROM agent_capabilities c JOIN agents a ON a.seq = c.agent_seq
             WHERE c.capability = $1 AND c.agent_seq > $2 ORDER BY c.agent_seq LIMIT $3`,
            [filter.capability, after, page.limit + 1],
          );
    return pageOf(found, page.limit, toAgent);
  }

  // ---- tasks -----------------------------------------------------------------------

  async createTask(input: CreateTaskInput): Promise<CreateTaskResult> {
    const missed = input.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
    const cap = input.maxQueuedTasks ?? null;
    if (input.idempotencyKey === null) {
      // Without a key nothing needs reading first: read the agent, then store the task and its
      // delivery in one statement, on the condition that the agent is still as read. An agent
      // with a limit on its tasks takes the transaction below, which counts them.
      for (let run = 1; run <= MAX_TX_RUNS; run++) {
        const agent = await one<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE agent_id = $1', [input.task.agentId]);
        if (!agent) return { outcome: 'agent-not-found' };
        if (agent.max_concurrent_tasks !== null) break;
        const task: TaskRecord = { ...input.task, heartbeatTimeoutMs: heartbeatTimeoutMs(agent.heartbeat_interval_s, missed), holdsSlot: false };
        const inserted = await this.#insertTaskIfAgentAsRead(task, input.requestHash, input.delivery(agent.contact_endpoint), agent, cap);
        if (inserted.stored) return { outcome: 'created', task };
        if (queueFull(inserted.queued, cap)) return { outcome: 'queue-full', queued: inserted.queued };
        // The agent re-registered with another endpoint or other terms, or deregistered, meanwhile: look again.
      }
    }
    return this.#tx(async (c): Promise<CreateTaskResult> => {
      const t = input.task;
      const seen = async (): Promise<CreateTaskResult | null> => {
        if (input.idempotencyKey === null) return null;
        const row = await one<TaskRow>(c, 'SELECT * FROM tasks WHERE agent_id = $1 AND idempotency_key = $2', [t.agentId, input.idempotencyKey]);
        if (!row) return null;
        return row.request_hash === input.requestHash ? { outcome: 'replayed', task: toTask(row) } : { outcome: 'idempotency-conflict' };
      };
      const before = await seen();
      if (before) return before;
      // Key-share lock: a deregistration waits for this dispatch (and then fails the task). An
      // agent with a limit is locked against other dispatches too, which count its tasks.
      let row = await one<AgentRow>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR KEY SHARE', [t.agentId]);
      if (row && row.max_concurrent_tasks !== null) row = await one<AgentRow>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR NO KEY UPDATE', [t.agentId]);
      if (!row) return { outcome: 'agent-not-found' };
      const queued = cap === null ? 0 : (await one<{ n: number }>(c, queuedCountSql('$1', '$2'), [t.agentId, cap]))!.n;
      if (queueFull(queued, cap)) return { outcome: 'queue-full', queued };
      const agent = toAgent(row);
      const admitted = admit(agent);
      const task: TaskRecord = { ...t, heartbeatTimeoutMs: heartbeatTimeoutMs(agent.heartbeatIntervalSeconds, missed), holdsSlot: admitted === 'slot' };
      const inserted = await one(
        c,
        `INSERT INTO tasks (${NEW_TASK_COLUMNS.join(', ')}) VALUES (${marks(NEW_TASK_COLUMNS.length)})
         ON CONFLICT (agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING seq`,
        newTaskValues(task, input.idempotencyKey, input.requestHash),
      );
      if (!inserted) {
        // Another process committed the same key meanwhile; this statement sees its row.
        const raced = await seen();
        if (!raced) throw new RetryTransaction();
        return raced;
      }
      for (const e of taskEvents(null, task)) await c.query(INSERT_TASK_EVENT_SQL, taskEventValues(e));
      if (task.holdsSlot) await c.query('UPDATE agents SET active_tasks = active_tasks + 1 WHERE seq = $1', [row.seq]);
      await this.#insertDelivery(c, input.delivery(agent.contactEndpoint), admitted === 'wait');
      return { outcome: 'created', task };
    });
  }

  async getTask(taskId: string): Promise<TaskRecord | null> {
    const row = await one<TaskRow>(this.#pool, 'SELECT * FROM tasks WHERE task_id = $1', [taskId]);
    return row ? toTask(row) : null;
  }

  async listTasks(page: PageRequest, filter: TaskFilter): Promise<Page<TaskRecord>> {
    const { sql, args } = taskListQuery(page, filter, ph);
    return pageOf(await rows<TaskRow>(this.#pool, sql, args), page.limit, toTask);
  }

  async reportTask(input: TaskReportInput): Promise<TaskReportResult> {
    return this.#tx(async (c): Promise<TaskReportResult> => {
      const row = await one<TaskRow>(c, 'SELECT * FROM tasks WHERE task_id = $1 FOR UPDATE', [input.taskId]);
      if (!row) return { outcome: 'not-found' };
      input.checkReporter?.(row.agent_id);
      const task = toTask(row);
      const decision = decideReport(task, input.report, input.hasResult, input.now);
      await c.query(`UPDATE agents SET last_seen_at = $1 WHERE agent_id = $2 AND ${LAST_SEEN_STALE_SQL('$3')}`, [input.now, task.agentId, lastSeenStaleBefore(input.now)]);
      if (decision.outcome !== 'unchanged') await this.#saveTask(c, task, decision.task);
      return decision.outcome === 'conflict' ? decision : { outcome: 'updated', task: decision.task };
    });
  }

  async cancelTask(input: CancelInput): Promise<CancelResult> {
    return this.#tx(async (c): Promise<CancelResult> => {
      const row = await one<TaskRow>(c, 'SELECT * FROM tasks WHERE task_id = $1 FOR UPDATE', [input.taskId]);
      if (!row) return { outcome: 'not-found' };
      const task = toTask(row);
      const decision = decideCancel(task, input.reason, input.now, input.graceMs);
      if (decision.outcome === 'conflict') return decision;
      if (decision.task !== task) await this.#saveTask(c, task, decision.task);
      if (decision.outcome === 'canceled' && decision.task !== task) {
        // Never delivered, and now never will be.
        await c.query(
          `UPDATE deliveries SET status = 'canceled', held = 0, lease_owner = NULL, lease_until = NULL, updated_at = $1
           WHERE task_id = $2 AND kind = 'task.delivery' AND status = 'pending'`,
          [input.now, task.taskId],
        );
      }
      if (decision.outcome === 'canceling' && decision.notify) {
        const contact = await one<{ contact_endpoint: string }>(c, 'SELECT contact_endpoint FROM agents WHERE agent_id = $1', [task.agentId]);
        if (contact) await this.#insertDelivery(c, input.notice(decision.task, contact.contact_endpoint));
      }
      return { outcome: decision.outcome, task: decision.task };
    });
  }

  // ---- outbox ----------------------------------------------------------------------

  async claimDeliveries(now: number, limit: number, owner: string, leaseUntil: number, skipTargets: readonly string[] = []): Promise<DeliveryRecord[]> {
    if (limit <= 0) return [];
    const skip = skipTargets.length > 0;
    // Rows another process is claiming right now are skipped, not waited for. A row whose
    // lease was just taken is re-checked after its lock is won, and then fails the lease test.
    // The walk follows deliveries_due in order and stops at `limit` (see BEGIN_ORDERED_WALK_SQL).
    const claimed = await this.#tx(
      (c) => rows<DeliveryRow>(c, claimSql(skip), skip ? [now, limit, owner, leaseUntil, skipTargets] : [now, limit, owner, leaseUntil]),
      BEGIN_ORDERED_WALK_SQL,
    );
    claimed.sort((x, y) => x.next_attempt_at - y.next_attempt_at || x.seq - y.seq);
    return claimed.map((r) => toDelivery(r, []));
  }

  async recordAttempt(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: AttemptOutcome, endReport: EndReport): Promise<void> {
    if (outcome.outcome === 'failed') return this.#recordFailure(deliveryId, owner, attempt, outcome, endReport);
    // The common path, one round trip: one statement locks the task, checks the lease, records
    // the attempt and, for a success, marks a queued task delivered.
    await this.#retrying(() =>
      this.#pool.query(outcome.outcome === 'succeeded' ? RECORD_SUCCESS_SQL : RECORD_RETRY_SQL, [
        deliveryId, owner, outcome.outcome === 'retry' ? outcome.nextAttemptAt : null,
        attempt.statusCode, attempt.error, attempt.latencyMs, attempt.at,
        ...(outcome.outcome === 'succeeded' ? [Date.parse(attempt.at)] : []),
      ]),
    );
  }

  /** A failure for good: reads the task and the delivery first, as it may fail the task and queue its error report. */
  async #recordFailure(deliveryId: string, owner: string, attempt: DeliveryAttempt, outcome: Extract<AttemptOutcome, { outcome: 'failed' }>, endReport: EndReport): Promise<void> {
    await this.#tx(async (c) => {
      const peek = await one<{ seq: number; kind: DeliveryKind; task_id: string | null }>(
        c, 'SELECT seq, kind, task_id FROM deliveries WHERE delivery_id = $1', [deliveryId],
      );
      if (!peek) return;
      // Lock order: the task first, then its delivery (as deregistration does).
      const taskRow =
        peek.kind === 'task.delivery' && peek.task_id !== null
          ? await one<TaskRow>(c, 'SELECT * FROM tasks WHERE task_id = $1 FOR UPDATE', [peek.task_id])
          : undefined;
      const row = await one<DeliveryRow>(c, 'SELECT * FROM deliveries WHERE seq = $1 FOR UPDATE', [peek.seq]);
      // Someone else took the lease over (it lapsed): their attempt counts, not ours.
      if (!row || row.lease_owner !== owner || row.status !== 'pending') return;
      const number = row.attempts + 1;
      await c.query(
        `INSERT INTO delivery_attempts (delivery_seq, attempt, at, status_code, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (delivery_seq, attempt) DO UPDATE SET at = EXCLUDED.at, status_code = EXCLUDED.status_code,
           latency_ms = EXCLUDED.latency_ms, error = EXCLUDED.error`,
        [row.seq, number, attempt.at, attempt.statusCode, attempt.latencyMs, attempt.error],
      );
      await c.query(
        `UPDATE deliveries SET status = 'failed', attempts = $1, lease_owner = NULL, lease_until = NULL,
           last_status_code = $2, last_error = $3, last_latency_ms = $4, updated_at = $5 WHERE seq = $6`,
        [number, attempt.statusCode, attempt.error, attempt.latencyMs, attempt.at, row.seq],
      );
      if (!taskRow || !outcome.taskError) return;
      const task = toTask(taskRow);
      const next = undelivered(task, outcome.taskError, attempt.at);
      if (next) await this.#insertReport(c, endReport(await this.#saveTask(c, task, next)));
    });
  }

  async nextDueAt(now: number): Promise<number | null> {
    const row = await one<{ t: number | null }>(
      this.#pool,
      "SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending' AND held = 0 AND (lease_until IS NULL OR lease_until < $1)",
      [now],
    );
    return row?.t ?? null;
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.#pool.query('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1', [owner]);
  }

  async getDelivery(deliveryId: string): Promise<DeliveryRecord | null> {
    const row = await one<DeliveryRow>(this.#pool, 'SELECT * FROM deliveries WHERE delivery_id = $1', [deliveryId]);
    return row ? toDelivery(row, (await this.#attempts(this.#pool, [row.seq])).get(row.seq) ?? []) : null;
  }

  async listDeliveries(page: PageRequest, filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    const { sql, args } = deliveryListQuery(page, filter, ph);
    const found = await rows<DeliveryRow>(this.#pool, sql, args);
    const attempts = await this.#attempts(this.#pool, found.slice(0, page.limit).map((r) => r.seq));
    return pageOf(found, page.limit, (r) => toDelivery(r, attempts.get(r.seq) ?? []));
  }

  async redeliver(deliveryId: string, now: number, nowIso: string): Promise<RedeliverResult> {
    return this.#tx(async (c): Promise<RedeliverResult> => {
      const row = await one<DeliveryRow>(c, 'SELECT * FROM deliveries WHERE delivery_id = $1 FOR UPDATE', [deliveryId]);
      if (!row) return { outcome: 'not-found' };
      const task = row.task_id === null ? null : ((await one<{ status: TaskStatus }>(c, 'SELECT status FROM tasks WHERE task_id = $1', [row.task_id])) ?? null);
      const decision = decideRedelivery(row, task);
      if (!decision.ok) return { outcome: 'conflict', reason: decision.reason };
      // The retry budget starts afresh; the attempt log keeps the earlier attempts.
      const fresh = await one<DeliveryRow>(
        c,
        `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, expires_at = NULL, retry_base = attempts,
           lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE seq = $3 RETURNING *`,
        [now, nowIso, row.seq],
      );
      return { outcome: 'requeued', delivery: toDelivery(fresh!, (await this.#attempts(c, [row.seq])).get(row.seq) ?? []) };
    });
  }

  async outboxDepth(): Promise<Record<DeliveryKind, number>> {
    return depthByKind(await rows<{ kind: DeliveryKind; n: number }>(this.#pool, "SELECT kind, COUNT(*) AS n FROM deliveries WHERE status = 'pending' GROUP BY kind"));
  }

  async counts(): Promise<{ agents: number; tasks: Record<TaskStatus, number> }> {
    const [agents, tasks] = await Promise.all([
      one<{ n: number }>(this.#pool, 'SELECT COUNT(*) AS n FROM agents'),
      rows<{ status: TaskStatus; n: number }>(this.#pool, 'SELECT status, COUNT(*) AS n FROM tasks GROUP BY status'),
    ]);
    return { agents: agents!.n, tasks: tasksByStatus(tasks) };
  }

  async renewHeartbeats(now: number): Promise<number> {
    const res = await this.#pool.query(
      `UPDATE tasks SET heartbeat_due_at = $1::bigint + heartbeat_timeout_ms
       WHERE status IN ${sqlList(TAKEN)} AND heartbeat_due_at IS NOT NULL AND heartbeat_due_at < $1::bigint + heartbeat_timeout_ms`,
      [now],
    );
    return res.rowCount ?? 0;
  }

  async expireTasks(rule: ExpiryRule, limit: number): Promise<TaskRecord[]> {
    const before = rule.overdue === 'deadline' ? new Date(rule.before).toISOString() : rule.before;
    return this.#tx(async (c) => {
      const ended: TaskRecord[] = [];
      for (const row of await rows<TaskRow>(c, EXPIRY_SQL[rule.overdue], [before, limit])) {
        const task = toTask(row);
        const next = await this.#saveTask(c, task, rule.end(task));
        if (rule.overdue === 'waiting') {
          await c.query(
            `UPDATE deliveries SET status = 'failed', held = 0, last_error = $1, updated_at = $2 WHERE task_id = $3 AND kind = 'task.delivery' AND status = 'pending'`,
            [WAITED_PAST_DEADLINE, next.updatedAt, task.taskId],
          );
        }
        await this.#insertReport(c, rule.report(next));
        ended.push(next);
      }
      return ended;
    });
  }

  // ---- helpers ---------------------------------------------------------------------

  /**
   * Runs `fn` in a transaction on one pooled connection; commits, or rolls back on error.
   * A deadlock or serialization failure reruns it (the builders it calls are pure).
   */
  /**
   * Runs `fn` (one statement, or a whole transaction from {@link #tx}) again, up to
   * MAX_TX_RUNS times, on a serialization failure, a deadlock, or a {@link RetryTransaction}.
   */
  async #retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let run = 1; ; run++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (run < MAX_TX_RUNS && (err instanceof RetryTransaction || (typeof code === 'string' && RETRYABLE.has(code)))) continue;
        throw err;
      }
    }
  }

  /** Runs `fn` in a transaction (begun by `begin`), again on a serialization failure or deadlock. */
  #tx<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    return this.#retrying(async () => {
      const c = await this.#pool.connect();
      let broken: Error | undefined;
      // A connection that drops between two statements emits 'error' with no query to take it;
      // unheard, that would end the process. The next statement fails and the pool drops the client.
      const onError = (err: Error) => (broken = err);
      c.on('error', onError);
      try {
        await c.query(begin);
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
        throw err;
      } finally {
        c.off('error', onError);
        c.release(broken);
      }
    });
  }

  /**
   * Stores a task without an idempotency key and its (unordered) delivery in one statement, if
   * the agent is still as `agent` was read (endpoint, heartbeats, no limit); false (and nothing
   * stored) otherwise. The agent's row is key-share locked to the end: a deregistration waits for
   * this dispatch (and then fails the task).
   */
  /** Stores the task unless the agent changed since `agent` was read or its queue is full (`queued`: its untaken tasks, counted up to `cap`). */
  async #insertTaskIfAgentAsRead(t: TaskRecord, requestHash: string, d: NewDelivery, agent: AgentRow, cap: number | null): Promise<{ stored: boolean; queued: number }> {
    if (d.orderKey !== null) throw new Error('a task delivery has no order key');
    const task = newTaskValues(t, null, requestHash);
    const delivery = newDeliveryValues(d);
    const [dispatched] = taskEvents(null, t) as [TaskEvent];
    const row = await one<{ stored: boolean; queued: number }>(this.#pool, INSERT_TASK_IF_AGENT_AS_READ_SQL, [
      ...task, ...delivery, agent.contact_endpoint, agent.heartbeat_interval_s, cap, ...taskEventValues(dispatched),
    ]);
    return { stored: row?.stored === true, queued: row?.queued ?? 0 };
  }

  /** `held`: a task delivery that waits for a slot of its agent. */
  async #insertDelivery(c: pg.PoolClient, d: NewDelivery, held = false): Promise<void> {
    // Held to commit: a key's deliveries get their sequence numbers in commit order.
    if (d.orderKey !== null) await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_ORDER_KEY, `${this.#schema ?? ''}:${d.orderKey}`]);
    await c.query(INSERT_DELIVERY_SQL, newDeliveryValues(d, held));
  }

  async #insertReport(c: pg.PoolClient, report: NewDelivery | null): Promise<void> {
    if (report) await this.#insertDelivery(c, report);
  }

  /**
   * Writes the state a domain rule gave the task (`before` it: what it was) and the events it adds
   * to the task's log (the domain's taskEvents), in one statement; a task that ends gives its slot
   * back. Returns `next`.
   */
  async #saveTask(c: pg.PoolClient, before: TaskRecord, next: TaskRecord): Promise<TaskRecord> {
    const events = taskEvents(before, next);
    await c.query(saveTaskSql(events.length), [...taskStateValues(next), next.taskId, ...events.flatMap(taskEventValues)]);
    if (freesSlot(before, next)) {
      await c.query('UPDATE agents SET active_tasks = active_tasks - 1 WHERE agent_id = $1 AND active_tasks > 0', [next.agentId]);
      await this.#fillSlots(c, next.agentId, next.updatedAt);
    }
    return next;
  }

  /**
   * Lets the agent's oldest waiting tasks through while it has slots free (see domain/agent.ts,
   * admit). The agent's row stays locked to commit, so no other process fills the same slots.
   * Each waiting task is locked before its delivery (the lock order), and skipped when a cancel
   * ended it meanwhile.
   */
  async #fillSlots(c: pg.PoolClient, agentId: string, now: string): Promise<void> {
    const row = await one<AgentRow>(c, 'SELECT * FROM agents WHERE agent_id = $1 FOR NO KEY UPDATE', [agentId]);
    if (!row) return;
    const agent = toAgent(row);
    while (admit(agent) !== 'wait') {
      const waiting = await one<{ seq: number; task_id: string }>(
        c, `SELECT seq, task_id FROM deliveries WHERE agent_id = $1 AND held = 1 AND status = 'pending' ORDER BY seq LIMIT 1`, [agentId],
      );
      if (!waiting) return;
      const task = await one<{ status: TaskStatus }>(c, 'SELECT status FROM tasks WHERE task_id = $1 FOR UPDATE', [waiting.task_id]);
      const released = await one(
        c, `UPDATE deliveries SET held = 0, next_attempt_at = $1, updated_at = $2 WHERE seq = $3 AND held = 1 AND status = 'pending' RETURNING seq`,
        [Date.parse(now), now, waiting.seq],
      );
      if (!released || !task || !NOT_TAKEN.includes(task.status as (typeof NOT_TAKEN)[number])) continue;
      if (admit(agent) === 'slot') {
        await c.query('UPDATE tasks SET holds_slot = 1 WHERE task_id = $1', [waiting.task_id]);
        await c.query('UPDATE agents SET active_tasks = active_tasks + 1 WHERE seq = $1', [row.seq]);
        agent.activeTasks += 1;
      }
    }
  }

  // ---- console (issue 14) --------------------------------------------------------

  async deliveryCounts(): Promise<Record<DeliveryStatus, number>> {
    return deliveriesByStatus(await rows<{ status: DeliveryStatus; n: number }>(this.#pool, DELIVERIES_BY_STATUS_SQL));
  }

  async tasksByAgent(): Promise<AgentTaskCounts[]> {
    return tasksByAgent(await rows<{ agent_id: string; status: TaskStatus; n: number }>(this.#pool, TASKS_BY_AGENT_SQL));
  }

  async endedPerMinute(now: Date): Promise<MinuteCounts[]> {
    return endedPerMinute(await rows<{ minute: string; status: TaskStatus; n: number }>(this.#pool, endedPerMinuteSql(ph), [hourAgo(now)]), now);
  }

  async taskDeliveries(taskId: string): Promise<DeliveryRecord[]> {
    const found = await rows<DeliveryRow>(this.#pool, taskDeliveriesSql(ph), [taskId]);
    const attempts = await this.#attempts(this.#pool, found.map((r) => r.seq));
    return found.map((r) => toDelivery(r, attempts.get(r.seq) ?? []));
  }

  async taskEvents(taskId: string, page: PageRequest): Promise<Page<StoredTaskEvent>> {
    return pageOf(await rows<TaskEventRow>(this.#pool, taskEventsSql(ph), taskEventsArgs(taskId, page)), page.limit, toTaskEvent);
  }

  async recoverDeliveries(input: RecoverInput): Promise<string[]> {
    return this.#tx(async (c) => {
      const args: unknown[] = [input.since, input.until, ...(input.kind ? [input.kind] : [])];
      // Locked, so two recoveries (or a recovery and a redelivery) at once requeue each delivery once.
      const found = await rows<RecoveryRow>(c, recoverySelectSql(ph, input.kind !== undefined, ' FOR UPDATE OF d'), args);
      const ids: string[] = [];
      for (const r of found) {
        if (!decideRedelivery(r, r.task_status === null ? null : { status: r.task_status }).ok) continue;
        // One ms apart, so the worker (due time, then seq) sends them in creation order.
        await c.query(requeueSql(ph), [input.now + ids.length, input.nowIso, r.seq]);
        ids.push(r.delivery_id);
      }
      return ids;
    });
  }

  async #attempts(db: Db, seqs: number[]): Promise<Map<number, DeliveryAttempt[]>> {
    if (seqs.length === 0) return new Map();
    return attemptsBySeq(await rows<AttemptRow>(db, 'SELECT * FROM delivery_attempts WHERE delivery_seq = ANY($1::bigint[]) ORDER BY delivery_seq, attempt', [seqs]));
  }
}

/** Thrown inside a transaction to run it again (a racing process changed what it read). */
class RetryTransaction extends Error {
  constructor() {
    super('A concurrent change interfered; the transaction was run again too often');
    this.name = 'RetryTransaction';
  }
}

async function rows<R>(db: Db, sql: string, args: unknown[] = []): Promise<R[]> {
  return (await db.query(sql, args)).rows as R[];
}

async function one<R>(db: Db, sql: string, args: unknown[] = []): Promise<R | undefined> {
  return (await rows<R>(db, sql, args))[0];
}
