/**
 * What both stores' SQL has in common: paging, the list filters, grouping attempts by delivery,
 * and the status lists that select by a domain rule. Each dialect passes its placeholder style.
 */
import { DELIVERY_KINDS, type DeliveryAttempt, type DeliveryKind } from '../domain/delivery.js';
import type { Rotated } from '../domain/rotation.js';
import type { TaskStatus } from '../domain/task.js';
import { cursorSeq, encodeCursor } from './cursor.js';
import { type AttemptRow, toAttempt } from './rows.js';
import type { AgentSecretKind, DeliveryFilter, Page, PageRequest, RotateSecretInput, TaskFilter } from './types.js';

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

/** Newest first, after the cursor, with the filters that are set (`column = value`, or the comparison given). */
function newestFirst(table: string, page: PageRequest, filters: Array<[string, unknown] | [string, unknown, '>=' | '<']>, ph: Placeholder): Query {
  const args: unknown[] = [cursorSeq(page.cursor) ?? Number.MAX_SAFE_INTEGER];
  const where = [`seq < ${ph(1)}`];
  for (const [column, value, op = '='] of filters) {
    if (value === undefined) continue;
    args.push(value);
    where.push(`${column} ${op} ${ph(args.length)}`);
  }
  args.push(page.limit + 1);
  return { sql: `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${ph(args.length)}`, args };
}

export function taskListQuery(page: PageRequest, filter: TaskFilter, ph: Placeholder): Query {
  return newestFirst('tasks', page, [['agent_id', filter.agentId], ['status', filter.status], ['created_at', filter.createdAfter, '>='], ['created_at', filter.createdBefore, '<']], ph);
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

/** The columns of each rotating secret of an agent: the one in force, the one it replaced, and until when that holds. */
const ROTATING_COLUMNS: Record<AgentSecretKind, { current: string; previous: string; until: string }> = {
  'signing-secret': { current: 'signing_secret', previous: 'previous_signing_secret', until: 'previous_secret_until' },
  'agent-token': { current: 'token_hash', previous: 'previous_token_hash', until: 'previous_token_until' },
};

/**
 * Rotation of `kind`: the value in force becomes the previous one (parameters: previous-until
 * or null, the same again, the new value, now, agent id; see {@link rotateSecretArgs}).
 */
export function rotateSecretSql(kind: AgentSecretKind, ph: Placeholder): string {
  const c = ROTATING_COLUMNS[kind];
  // Placeholders in the order they appear: SQLite's `?` are positional.
  return `UPDATE agents SET ${c.previous} = CASE WHEN CAST(${ph(1)} AS BIGINT) IS NULL THEN NULL ELSE ${c.current} END,
    ${c.until} = CAST(${ph(2)} AS BIGINT), ${c.current} = ${ph(3)}, updated_at = ${ph(4)} WHERE agent_id = ${ph(5)}`;
}

/** The arguments of {@link rotateSecretSql}. */
export const rotateSecretArgs = (i: RotateSecretInput): unknown[] => [i.previousUntil, i.previousUntil, i.value, i.now, i.agentId];

/** What registration writes when it issues a new value of `kind`: the old one stops at once. */
export function replaceSecretSql(kind: AgentSecretKind): string {
  const c = ROTATING_COLUMNS[kind];
  return `${c.previous} = NULL, ${c.until} = NULL`;
}

/** An agent's rotating secret as stored. */
export interface RotatingRow {
  current: string | null;
  previous: string | null;
  until: number | string | null;
}

/** Reads `kind` of an agent as a {@link RotatingRow} (parameter: agent id). */
export function rotatingSecretSql(kind: AgentSecretKind, ph: Placeholder): string {
  const c = ROTATING_COLUMNS[kind];
  return `SELECT ${c.current} AS current, ${c.previous} AS previous, ${c.until} AS until FROM agents WHERE agent_id = ${ph(1)}`;
}

/** The stored pair, null without a value in force (PostgreSQL returns BIGINT as text). */
export function toRotated(row: RotatingRow | undefined): Rotated<string> | null {
  if (!row || row.current === null) return null;
  return { current: row.current, previous: row.previous, previousUntil: row.until === null ? null : Number(row.until) };
}
