import { api, problemOf } from '../api.js';
import { fill, h, link, svg } from '../dom.js';
import type { Page } from '../page.js';
import type { components } from '../../../generated/ts/agentkit.js';

type Statistics = components['schemas']['Statistics'];

/** Counts as a row of labelled numbers; each links to the list it counts when `href` says where. */
function counts(title: string, values: Record<string, number>, href?: (key: string) => string): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-label': title },
    h('h2', {}, title),
    h(
      'dl',
      { class: 'counts' },
      Object.entries(values).map(([k, n]) => h('div', { 'data-count': k }, h('dt', {}, href ? link(href(k), k) : k), h('dd', {}, n))),
    ),
  );
}

/** Tasks finished and failed per minute over the last hour: stacked bars, an SVG with a text summary. */
function chart(minutes: Statistics['endedPerMinute']): HTMLElement {
  const max = Math.max(1, ...minutes.map((m) => m.finished + m.failed));
  const width = 600;
  const height = 120;
  const bar = width / Math.max(1, minutes.length);
  const bars = minutes.flatMap((m, i) => {
    const fh = (m.finished / max) * (height - 4);
    const xh = (m.failed / max) * (height - 4);
    const label = `${new Date(m.minute).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}: ${m.finished} finished, ${m.failed} failed`;
    return [
      svg('rect', { x: i * bar + 1, y: height - fh, width: bar - 2, height: fh, class: 'bar-finished' }, svg('title', {}, label)),
      svg('rect', { x: i * bar + 1, y: height - fh - xh, width: bar - 2, height: xh, class: 'bar-failed' }, svg('title', {}, label)),
    ];
  });
  const finished = minutes.reduce((n, m) => n + m.finished, 0);
  const failed = minutes.reduce((n, m) => n + m.failed, 0);
  const summary = `Last hour: ${finished} finished, ${failed} failed (busiest minute ${max === 1 && finished + failed === 0 ? 0 : max})`;
  return h(
    'section',
    { class: 'card wide', 'aria-label': 'Tasks ended per minute' },
    h('h2', {}, 'Tasks ended per minute, last hour'),
    h(
      'figure',
      {},
      svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'chart', role: 'img', 'aria-label': summary }, svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'axis' }), ...bars),
      h('figcaption', { class: 'axis-labels' }, h('span', {}, '60 min ago'), h('span', {}, `peak ${max === 1 && finished + failed === 0 ? 0 : max}/min`), h('span', {}, 'now')),
    ),
    h('p', { class: 'legend' }, h('span', { class: 'key k-finished' }, 'finished'), ' ', h('span', { class: 'key k-failed' }, 'failed'), ' ', h('span', { class: 'muted', 'data-testid': 'chart-summary' }, summary)),
  );
}

export const overviewPage: Page = (main, _params, ctx) => {
  const body = h('div', { class: 'grid' }, h('p', { class: 'muted' }, 'Loading…'));
  fill(main, h('h1', {}, 'Overview'), body);
  let etag: string | null = null;
  ctx.live(async () => {
    const { data, error, response } = await api.GET('/v1/statistics', { params: { header: etag ? { 'If-None-Match': etag } : {} } });
    if (!ctx.current() || response.status === 304) return;
    if (error !== undefined || !data) throw problemOf(error, response);
    etag = response.headers.get('ETag');
    const s = data;
    const tasksTotal = Object.values(s.tasksByStatus).reduce((a, b) => a + b, 0);
    fill(
      body,
      counts('Tasks by status', s.tasksByStatus, (k) => `/tasks?status=${k}`),
      counts('Deliveries by status', s.deliveriesByStatus, (k) => `/deliveries?status=${k}`),
      counts('Outbox depth (pending, by kind)', s.outboxDepth, (k) => `/deliveries?status=pending&kind=${k}`),
      counts('Agents', { registered: s.agents }, () => '/agents'),
      chart(s.endedPerMinute),
      tasksTotal === 0 ? h('p', { class: 'empty wide' }, 'No tasks yet. Register an agent (POST /v1/agents, or start one with the SDK), then dispatch a task: agentkit run <agentId> <task_name> --wait.') : null,
    );
  }, 2000);
};

