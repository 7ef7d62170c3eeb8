/**
 * What both stores' SQL has in common: paging, the list filters, grouping attempts by delivery,
 * and the status lists that select by a domain rule. Each dialect passes its placeholder style.
 */
import { DELIVERY_KINDS, type DeliveryAttempt, type DeliveryKind } from '../domain/delivery.js';
import type { TaskStatus } from '../domain/task.js';
import { cursorSeq, encodeCursor } from './cursor.js';
import { type AttemptRow, toAttempt } from './rows.js';
import type { DeliveryFilter, Page, PageRequest, TaskFilter } from './types.js';

/** The SQL of the n-th (1-based) parameter: `?` for SQLite, `$n` for PostgreSQL. */
export type Placeholder = (n: number) => string;

/** A statement and its arguments. */
export interface Query {
  sql: string;
  args: unknown[];
}

/** A domain status list as an SQL list literal, e.g. `('delivered', 'running')`. */
export function sqlList(values: readonly TaskStatus[]): string {
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}

/** A page of `rows` (fetched with `limit + 1`, so a next page shows as one row too many). */
export function pageOf<R extends { seq: number }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(last.seq) : null };
}

/** Newest first, after the cursor, with the filters that are set. */
function newestFirst(table: string, page: PageRequest, filters: Array<[string, unknown]>, ph: Placeholder): Query {
  const args: unknown[] = [cursorSeq(page.cursor) ?? Number.MAX_SAFE_INTEGER];
  const where = [`seq < ${ph(1)}`];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    args.push(value);
    where.push(`${column} = ${ph(args.length)}`);
  }
  args.push(page.limit + 1);
  return { sql: `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${ph(args.length)}`, args };
}

export function taskListQuery(page: PageRequest, filter: TaskFilter, ph: Placeholder): Query {
  return newestFirst('tasks', page, [['agent_id', filter.agentId], ['status', filter.status]], ph);
}

export function deliveryListQuery(page: PageRequest, filter: DeliveryFilter, ph: Placeholder): Query {
  return newestFirst('deliveries', page, [['status', filter.status], ['kind', filter.kind], ['agent_id', filter.agentId]], ph);
}

/** Attempt rows (ordered by delivery, then attempt) by their delivery's seq. */
export function attemptsBySeq(rows: AttemptRow[]): Map<number, DeliveryAttempt[]> {
  const bySeq = new Map<number, DeliveryAttempt[]>();
  for (const r of rows) {
    const list = bySeq.get(r.delivery_seq) ?? [];
    list.push(toAttempt(r));
    bySeq.set(r.delivery_seq, list);
  }
  return bySeq;
}

/** Pending deliveries by kind, every kind present (0 when none is pending). */
export function depthByKind(rows: Array<{ kind: DeliveryKind; n: number }>): Record<DeliveryKind, number> {
  const depth = Object.fromEntries(DELIVERY_KINDS.map((k) => [k, 0])) as Record<DeliveryKind, number>;
  for (const r of rows) depth[r.kind] = r.n;
  return depth;
}

/** Tasks by status, every status present. */
export function tasksByStatus(rows: Array<{ status: TaskStatus; n: number }>): Record<TaskStatus, number> {
  const counts: Record<TaskStatus, number> = { queued: 0, delivered: 0, running: 0, canceling: 0, finished: 0, failed: 0, canceled: 0 };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

/** The agent's `last_seen_at` is older than the time in parameter `p` (see domain/agent.ts, lastSeenStaleBefore). */
export const LAST_SEEN_STALE_SQL = (p: string): string => `(last_seen_at IS NULL OR last_seen_at < ${p})`;
