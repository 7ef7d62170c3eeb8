import { api, can, must } from '../api.js';
import { badge, fill, h, json, link, table, time } from '../dom.js';
import type { Page } from '../page.js';
import type { components } from '../../../generated/ts/agentkit.js';

type Task = components['schemas']['Task'];
type TaskStatus = components['schemas']['TaskStatus'];
type Delivery = components['schemas']['WebhookDelivery'];
type TaskEvent = components['schemas']['TaskEvent'];
type TaskEventList = components['schemas']['TaskEventList'];

const STATUSES: TaskStatus[] = ['queued', 'delivered', 'running', 'canceling', 'finished', 'failed', 'canceled'];
const ENDED = new Set<string>(['finished', 'failed', 'canceled']);

/** A datetime-local value (the viewer's zone) as ISO, or null. */
function localToIso(value: string | null): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export const tasksPage: Page = (main, params, ctx) => {
  const q = params.query;
  const status = q.get('status') ?? '';
  const agent = q.get('agent') ?? '';
  const after = q.get('after') ?? '';
  const before = q.get('before') ?? '';
  const perPage = Math.min(100, Math.max(1, Number.parseInt(q.get('limit') ?? '', 10) || 25));
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter tasks' },
    h('label', {}, 'Status ', h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)))),
    h('label', {}, 'Agent ', h('input', { name: 'agent', value: agent, placeholder: 'agent id', size: 16 })),
    h('label', {}, 'Created after ', h('input', { name: 'after', type: 'datetime-local', step: 1, value: after })),
    h('label', {}, 'Created before ', h('input', { name: 'before', type: 'datetime-local', step: 1, value: before })),
    h('label', {}, 'Per page ', h('select', { name: 'limit' }, [10, 25, 100].includes(perPage) ? null : h('option', { value: perPage, selected: true }, perPage), [10, 25, 100].map((n) => h('option', { value: n, selected: n === perPage }, n)))),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const k of ['status', 'agent', 'after', 'before', 'limit']) {
      const v = String(data.get(k) ?? '').trim();
      if (v) next.set(k, v);
    }
    location.hash = `#/tasks${next.size ? `?${next}` : ''}`;
  });
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const prev = h('button', { type: 'button', disabled: true }, '← Newer');
  const next = h('button', { type: 'button', disabled: true }, 'Older →');
  const pageNo = h('span', { class: 'muted', 'data-testid': 'page-number' }, 'Page 1');
  fill(main, h('h1', {}, 'Tasks'), form, list, h('div', { class: 'pager' }, prev, next, pageNo));

  /** Cursors of the pages shown before this one (paging back). */
  const cursors: Array<string | undefined> = [];
  let cursor: string | undefined;
  let nextCursor: string | null = null;
  let shown = '';
  const afterIso = localToIso(after);
  const beforeIso = localToIso(before);
  const load = async () => {
    const page = await must(
      api.GET('/v1/tasks', {
        params: {
          query: {
            limit: perPage,
            ...(cursor ? { cursor } : {}),
            ...(status ? { status: status as TaskStatus } : {}),
            ...(agent ? { agentId: agent } : {}),
            ...(afterIso ? { createdAfter: afterIso } : {}),
            ...(beforeIso ? { createdBefore: beforeIso } : {}),
          },
        },
      }),
    );
    const items = page.items;
    nextCursor = page.nextCursor;
    const key = JSON.stringify([items, nextCursor]);
    if (!ctx.current() || key === shown) return;
    shown = key;
    next.disabled = !nextCursor;
    prev.disabled = cursors.length === 0;
    pageNo.textContent = `Page ${cursors.length + 1}`;
    fill(
      list,
      table(
        ['Task', 'Agent', 'Name', 'Status', 'Created', 'Updated'],
        items.map((t: Task) => [
          link(`/tasks/${t.taskId}`, h('code', {}, t.taskId.slice(0, 8)), '…'),
          link(`/agents/${encodeURIComponent(t.agentId)}`, t.agentId),
          t.task_name,
          badge(t.status),
          time(t.createdAt),
          time(t.updatedAt),
        ]),
        status || agent || after || before ? 'No task matches these filters. Clear them to see every task.' : 'No tasks yet. Dispatch one: agentkit run <agentId> <task_name> --wait.',
      ),
    );
  };
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors.push(cursor);
    cursor = nextCursor;
    void load().catch((e: unknown) => ctx.showProblem(e));
  });
  prev.addEventListener('click', () => {
    if (cursors.length === 0) return;
    cursor = cursors.pop();
    void load().catch((e: unknown) => ctx.showProblem(e));
  });
  ctx.live(load, 2000);
};

interface TimelineEvent {
  at: string;
  what: string;
  detail?: Node | string | null;
  kind: string;
}

const DELIVERY_LABEL: Record<Delivery['kind'], string> = {
  'task.delivery': 'Delivery to the agent',
  'task.cancel': 'Cancel notice to the agent',
  'opscore.state': 'State report to Ops-Core',
  'agent.lifecycle': 'Lifecycle webhook',
};

const SOURCE: Record<TaskEvent['source'], string> = { agent: 'reported by the agent', agentkit: 'by AgentKit', client: 'on request' };

/** What the agent's report said: its progress and message. */
const said = (progress: number | null | undefined, message: string | null | undefined): string | null =>
  `${progress !== null && progress !== undefined ? `${progress}%` : ''}${message ? ` “${message}”` : ''}`.trim() || null;

const errorText = (error: Task['error']): string | null => (error ? `${error.code ? `${error.code}: ` : ''}${error.message}` : null);

/** An entry of the task's event log as the timeline shows it. */
function logged(task: Task, e: TaskEvent): TimelineEvent {
  switch (e.kind) {
    case 'dispatched':
      return { at: e.at, what: 'Dispatched', detail: `${task.task_name} to ${task.agentId}`, kind: 'dispatched' };
    case 'running':
      return { at: e.at, what: 'Running: the agent started it', detail: said(e.progress, e.message), kind: 'report' };
    case 'progress':
      return { at: e.at, what: 'Progress', detail: said(e.progress, e.message), kind: 'report' };
    case 'cancel_requested':
      return { at: e.at, what: 'Cancel requested', detail: e.message ?? null, kind: 'cancel' };
    default:
      return { at: e.at, what: `Ended ${e.kind} (${SOURCE[e.source]})`, detail: e.kind === 'failed' ? errorText(e.error ?? null) : said(e.progress, e.message), kind: `ended-${e.kind}` };
  }
}

/** What the task's own record says, for a task from before AgentKit kept event logs (its log is empty). */
function fromRecord(task: Task): TimelineEvent[] {
  const events: TimelineEvent[] = [{ at: task.createdAt, what: 'Dispatched', detail: `${task.task_name} to ${task.agentId}`, kind: 'dispatched' }];
  if (task.lastHeartbeatAt) events.push({ at: task.lastHeartbeatAt, what: 'Last report from the agent', detail: said(task.progress, task.message), kind: 'report' });
  if (task.cancelRequestedAt) events.push({ at: task.cancelRequestedAt, what: 'Cancel requested', detail: task.cancelReason ?? null, kind: 'cancel' });
  if (task.finishedAt) events.push({ at: task.finishedAt, what: `Ended ${task.status}`, detail: errorText(task.error ?? null), kind: `ended-${task.status}` });
  return events;
}

/**
 * Every event of a task in time order: its event log (dispatch, each report that changed
 * something, cancel, end), each attempt of each of its deliveries, and its heartbeats summed up.
 */
function timeline(task: Task, deliveries: Delivery[], log: TaskEvent[], heartbeats: TaskEventList['heartbeats']): TimelineEvent[] {
  const events: TimelineEvent[] = log.length > 0 ? log.map((e) => logged(task, e)) : fromRecord(task);
  for (const d of deliveries) {
    for (const a of d.attemptLog) {
      const outcome = a.statusCode !== null && a.statusCode !== undefined ? `HTTP ${a.statusCode}` : 'no answer';
      events.push({
        at: a.at,
        what: `${DELIVERY_LABEL[d.kind]}, attempt ${a.attempt}`,
        detail: h('span', {}, h('span', { class: 'code', 'data-status-code': String(a.statusCode ?? '') }, outcome), ` in ${a.latencyMs.toFixed(1)} ms`, a.error ? h('span', { class: 'error' }, ` — ${a.error}`) : null),
        kind: 'attempt',
      });
    }
    if (d.status === 'pending' && d.attemptLog.length === 0) events.push({ at: d.createdAt, what: `${DELIVERY_LABEL[d.kind]} queued`, detail: d.eventType, kind: 'queued' });
  }
  if (task.deliveredAt) events.push({ at: task.deliveredAt, what: 'Delivered: the agent accepted it', kind: 'delivered' });
  if (log.length > 0 && heartbeats.lastAt) {
    const n = heartbeats.count;
    events.push({ at: heartbeats.lastAt, what: 'Last heartbeat', detail: `${n} report${n === 1 ? '' : 's'} heard in all; those that changed nothing are not listed`, kind: 'heartbeats' });
  }
  if (task.lateOutcome) events.push({ at: task.lateOutcome.at, what: `Late outcome from the agent (${task.lateOutcome.status}), refused`, kind: 'late' });
  // Stable: entries at the same time keep their order (the log's, then the attempts').
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

/** The task's whole event log (a few pages at most; a longer one shows its first 1000 events). */
async function eventLog(taskId: string): Promise<TaskEventList> {
  let page = await must(api.GET('/v1/tasks/{taskId}/events', { params: { path: { taskId }, query: { limit: 100 } } }));
  const items = [...page.items];
  for (let n = 1; page.nextCursor && n < 10; n++) {
    page = await must(api.GET('/v1/tasks/{taskId}/events', { params: { path: { taskId }, query: { limit: 100, cursor: page.nextCursor } } }));
    items.push(...page.items);
  }
  return { ...page, items };
}

export const taskPage: Page = (main, params, ctx) => {
  const taskId = params.id ?? '';
  const head = h('div', { class: 'task-head' });
  const actions = h('div', { class: 'actions' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const events = h('ol', { class: 'timeline', 'aria-label': 'Timeline' });
  fill(main, h('h1', {}, 'Task ', h('code', {}, taskId)), head, actions, body, h('h2', {}, 'Timeline'), events);
  const cancel = h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', hidden: true }, 'Cancel task');
  if (can('cancelTask')) actions.append(cancel);
  let shown = '';
  const load = async () => {
    const task = await must(api.GET('/v1/tasks/{taskId}', { params: { path: { taskId } } }));
    const [deliveries, log] = await Promise.all([must(api.GET('/v1/tasks/{taskId}/deliveries', { params: { path: { taskId } } })), eventLog(taskId)]);
    const key = JSON.stringify([task, deliveries, log]);
    if (!ctx.current() || key === shown) return;
    shown = key;
    cancel.hidden = ENDED.has(task.status) || task.status === 'canceling';
    fill(
      head,
      h('p', { class: 'status-line' }, 'Status ', h('span', { 'data-testid': 'task-status' }, badge(task.status)), task.progress !== null && task.progress !== undefined ? ` ${task.progress}%` : null, ' · agent ', link(`/agents/${encodeURIComponent(task.agentId)}`, task.agentId), ` · ${task.task_name}`),
    );
    fill(
      body,
      h('div', { class: 'cols' },
        h('section', {}, h('h2', {}, 'Parameters'), json(task.parameters)),
        task.status === 'finished' ? h('section', {}, h('h2', {}, 'Result'), json(task.result)) : null,
        task.error ? h('section', { class: 'task-error' }, h('h2', {}, 'Error'), h('p', {}, task.error.code ? h('code', {}, task.error.code) : null, ' ', task.error.message)) : null,
      ),
      h('dl', { class: 'props' },
        h('dt', {}, 'Created'), h('dd', {}, time(task.createdAt)),
        h('dt', {}, 'Timeout'), h('dd', {}, task.timeout_seconds ? `${task.timeout_seconds} s` : 'none'),
        task.opscore_session_id ? [h('dt', {}, 'Ops-Core session'), h('dd', {}, task.opscore_session_id)] : null,
        task.opscore_task_id ? [h('dt', {}, 'Ops-Core task'), h('dd', {}, task.opscore_task_id)] : null,
      ),
    );
    fill(
      events,
      timeline(task, deliveries.items, log.items, log.heartbeats).map((e) => h('li', { class: `ev ev-${e.kind}` }, time(e.at), ' ', h('strong', {}, e.what), e.detail ? h('span', {}, ' ', e.detail) : null)),
    );
  };
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    void must(api.POST('/v1/tasks/{taskId}/cancel', { params: { path: { taskId } }, body: { reason: 'Canceled from the console' } }))
      .then(() => load())
      .catch((e: unknown) => ctx.showProblem(e))
      .finally(() => {
        cancel.disabled = false;
      });
  });
  ctx.live(load, 1000);
};
