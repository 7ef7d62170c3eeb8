/**
 * What both stores share for the operator console (issue 14): the counts of its overview, a
 * task's deliveries and events, and the selection of a recovery ("send every failed delivery since ... again").
 * Each dialect passes its placeholder style.
 */
import type { DeliveryKind, DeliveryStatus } from '../domain/delivery.js';
import type { TaskStatus } from '../domain/task.js';
import type { Placeholder } from './queries.js';
import { cursorSeq } from './cursor.js';
import type { AgentTaskCounts, MinuteCounts, PageRequest } from './types.js';

export const DELIVERIES_BY_STATUS_SQL = 'SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status';

/** Deliveries by status, every status present. */
export function deliveriesByStatus(rows: Array<{ status: DeliveryStatus; n: number }>): Record<DeliveryStatus, number> {
  const counts: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

export const TASKS_BY_AGENT_SQL = `SELECT agent_id, status, COUNT(*) AS n FROM tasks
  WHERE status IN ('queued', 'delivered', 'running', 'canceling', 'failed') GROUP BY agent_id, status ORDER BY agent_id`;

/** Each agent's queued, running (delivered, running, canceling) and failed tasks. */
export function tasksByAgent(rows: Array<{ agent_id: string; status: TaskStatus; n: number }>): AgentTaskCounts[] {
  const byAgent = new Map<string, AgentTaskCounts>();
  for (const r of rows) {
    const c = byAgent.get(r.agent_id) ?? { agentId: r.agent_id, queued: 0, running: 0, failed: 0 };
    const n = Number(r.n);
    if (r.status === 'queued') c.queued += n;
    else if (r.status === 'failed') c.failed += n;
    else c.running += n;
    byAgent.set(r.agent_id, c);
  }
  return [...byAgent.values()];
}

/** Tasks ended finished or failed since `ph(1)` (an ISO time), by minute (`YYYY-MM-DDTHH:MM`) and status. */
export const endedPerMinuteSql = (ph: Placeholder): string => `SELECT substr(finished_at, 1, 16) AS minute, status, COUNT(*) AS n FROM tasks
  WHERE status IN ('finished', 'failed') AND finished_at >= ${ph(1)} GROUP BY substr(finished_at, 1, 16), status`;

/** The first minute of the hour that ends with the minute of `now`, as ISO. */
export function hourAgo(now: Date): string {
  const start = Math.floor(now.getTime() / 60_000) * 60_000 - 59 * 60_000;
  return new Date(start).toISOString();
}

/** Sixty minutes ending with the minute of `now`, oldest first, each with its counts (0 when none). */
export function endedPerMinute(rows: Array<{ minute: string; status: TaskStatus; n: number }>, now: Date): MinuteCounts[] {
  const first = Date.parse(hourAgo(now));
  const minutes: MinuteCounts[] = Array.from({ length: 60 }, (_, i) => ({ minute: new Date(first + i * 60_000).toISOString(), finished: 0, failed: 0 }));
  for (const r of rows) {
    const i = Math.round((Date.parse(`${r.minute}:00.000Z`) - first) / 60_000);
    const m = minutes[i];
    if (!m) continue;
    if (r.status === 'finished') m.finished += Number(r.n);
    else if (r.status === 'failed') m.failed += Number(r.n);
  }
  return minutes;
}

/** A task's deliveries, oldest first (parameter: task id). At most 500: a task has a handful. */
export const taskDeliveriesSql = (ph: Placeholder): string => `SELECT * FROM deliveries WHERE task_id = ${ph(1)} ORDER BY seq LIMIT 500`;

/** A page of a task's events, oldest first (parameters: task id, the seq after which to start, limit + 1). */
export const taskEventsSql = (ph: Placeholder): string => `SELECT * FROM task_events WHERE task_id = ${ph(1)} AND seq > ${ph(2)} ORDER BY seq LIMIT ${ph(3)}`;

/** The arguments of {@link taskEventsSql} for `page`. */
export const taskEventsArgs = (taskId: string, page: PageRequest): unknown[] => [taskId, cursorSeq(page.cursor) ?? 0, page.limit + 1];

/**
 * The failed deliveries a recovery looks at, oldest first, with their task's status (a task
 * delivery of an ended task is left alone, as decideRedelivery says). Parameters: since, until,
 * and the kind when `withKind`.
 */
export function recoverySelectSql(ph: Placeholder, withKind: boolean, lock: string = ''): string {
  return `SELECT d.seq, d.delivery_id, d.kind, d.status, t.status AS task_status FROM deliveries d LEFT JOIN tasks t ON t.task_id = d.task_id
    WHERE d.status = 'failed' AND d.created_at >= ${ph(1)} AND d.created_at < ${ph(2)}${withKind ? ` AND d.kind = ${ph(3)}` : ''}
    ORDER BY d.created_at, d.seq${lock}`;
}

/** A row of {@link recoverySelectSql}. */
export interface RecoveryRow {
  seq: number;
  delivery_id: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  task_status: TaskStatus | null;
}

/** Requeues one delivery as a redelivery does (parameters: next attempt at, epoch ms; now, ISO; seq). */
export const requeueSql = (ph: Placeholder): string => `UPDATE deliveries SET status = 'pending', next_attempt_at = ${ph(1)}, expires_at = NULL, retry_base = attempts,
  lease_owner = NULL, lease_until = NULL, updated_at = ${ph(2)} WHERE seq = ${ph(3)}`;
