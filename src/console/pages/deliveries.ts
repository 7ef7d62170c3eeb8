import { api, can, must } from '../api.js';
import { badge, fill, h, link, table, time } from '../dom.js';
import type { Page, PageContext } from '../page.js';
import type { components } from '../../../generated/ts/agentkit.js';

type Delivery = components['schemas']['WebhookDelivery'];
type Kind = Delivery['kind'];
type Status = components['schemas']['DeliveryStatus'];

const KINDS: Kind[] = ['agent.lifecycle', 'task.delivery', 'task.cancel', 'opscore.state'];
const STATUSES: Status[] = ['failed', 'pending', 'succeeded', 'canceled'];

/** A datetime-local value for `d` in the viewer's zone. */
function localValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function deliveryItem(d: Delivery, ctx: PageContext, reload: () => void): HTMLElement {
  const latency = d.lastLatencyMs !== null && d.lastLatencyMs !== undefined ? `${d.lastLatencyMs.toFixed(1)} ms` : '—';
  const redeliver =
    can('redeliverWebhookDelivery') && d.status !== 'pending'
      ? h(
          'button',
          {
            type: 'button',
            'data-action': 'redeliver',
            onclick: (e: Event) => {
              const button = e.currentTarget as HTMLButtonElement;
              button.disabled = true;
              void must(api.POST('/v1/webhook-deliveries/{deliveryId}/redeliver', { params: { path: { deliveryId: d.deliveryId } } }))
                .then(reload)
                .catch((err: unknown) => {
                  button.disabled = false;
                  ctx.showProblem(err);
                });
            },
          },
          'Redeliver',
        )
      : null;
  return h(
    'li',
    { class: 'delivery', 'data-delivery-id': d.deliveryId, 'data-kind': d.kind, 'data-status': d.status },
    h(
      'div',
      { class: 'delivery-head' },
      badge(d.status),
      ' ',
      h('strong', {}, d.kind),
      ` ${d.eventType} · agent `,
      link(`/agents/${encodeURIComponent(d.agentId)}`, d.agentId),
      d.taskId ? [' · task ', link(`/tasks/${d.taskId}`, h('code', {}, d.taskId.slice(0, 8)), '…')] : null,
      ' · created ',
      time(d.createdAt),
      redeliver ? [' ', redeliver] : null,
    ),
    h(
      'p',
      { class: 'delivery-last' },
      `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}; last: `,
      h('span', { class: 'code' }, d.lastStatusCode !== null && d.lastStatusCode !== undefined ? `HTTP ${d.lastStatusCode}` : 'no answer'),
      `, ${latency}`,
      d.lastError ? h('span', { class: 'error' }, ` — ${d.lastError}`) : null,
      d.nextAttemptAt ? [' · next attempt ', time(d.nextAttemptAt)] : null,
    ),
    d.attemptLog.length
      ? h(
          'details',
          {},
          h('summary', {}, `Attempts (${d.attemptLog.length}) to `, h('code', { class: 'url' }, d.targetUrl)),
          table(
            ['#', 'At', 'Status code', 'Latency', 'Error'],
            d.attemptLog.map((a) => [a.attempt, time(a.at), a.statusCode ?? '—', `${a.latencyMs.toFixed(1)} ms`, a.error ?? '']),
            'No attempt yet.',
          ),
        )
      : null,
  );
}

export const deliveriesPage: Page = (main, params, ctx) => {
  const kind = (params.query.get('kind') ?? '') as Kind | '';
  const status = (params.query.get('status') ?? '') as Status | '';
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter deliveries' },
    h('label', {}, 'Kind ', h('select', { name: 'kind' }, h('option', { value: '' }, 'any'), KINDS.map((k) => h('option', { value: k, selected: k === kind }, k)))),
    h('label', {}, 'Status ', h('select', { name: 'status' }, h('option', { value: '' }, 'failed first, then the rest'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)))),
    h('button', { type: 'submit' }, 'Apply'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(filters);
    const q = new URLSearchParams();
    for (const k of ['kind', 'status']) {
      const v = String(data.get(k) ?? '');
      if (v) q.set(k, v);
    }
    location.hash = `#/deliveries${q.size ? `?${q}` : ''}`;
  });

  const recovered = h('p', { class: 'recovered', role: 'status', 'aria-live': 'polite' });
  let recover: HTMLElement | null = null;
  if (can('redeliverFailedWebhookDeliveries')) {
    const since = h('input', { name: 'since', type: 'datetime-local', step: 1, required: true, value: localValue(new Date(Date.now() - 3600_000)) });
    const until = h('input', { name: 'until', type: 'datetime-local', step: 1 });
    const recoverKind = h('select', { name: 'kind' }, h('option', { value: '' }, 'every kind'), KINDS.map((k) => h('option', { value: k, selected: k === kind }, k)));
    const form = h(
      'form',
      { class: 'recover', 'aria-label': 'Recover failed deliveries' },
      h('h2', {}, 'Recover failed deliveries'),
      h('p', { class: 'muted' }, 'Sends every failed delivery created in the range again, oldest first, each once. Deliveries that succeeded are never sent again.'),
      h('label', {}, 'Since ', since),
      h('label', {}, 'Until (optional) ', until),
      h('label', {}, 'Kind ', recoverKind),
      h('button', { type: 'submit', 'data-action': 'recover' }, 'Recover failed since…'),
      recovered,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const sinceIso = new Date(since.value).toISOString();
      const untilIso = until.value ? new Date(until.value).toISOString() : undefined;
      const k = recoverKind.value as Kind | '';
      void must(api.POST('/v1/webhook-deliveries/recover', { body: { since: sinceIso, ...(untilIso ? { until: untilIso } : {}), ...(k ? { kind: k } : {}) } }))
        .then((r) => {
          fill(recovered, r.requeued === 0 ? 'Nothing to recover: no failed delivery in that range.' : `Requeued ${r.requeued} failed deliver${r.requeued === 1 ? 'y' : 'ies'}, oldest first.`);
          recovered.setAttribute('data-requeued', String(r.requeued));
          void load();
        })
        .catch((err: unknown) => ctx.showProblem(err));
    });
    recover = form;
  }

  const failedList = h('ul', { class: 'deliveries', 'aria-label': 'Failed deliveries' });
  const restList = h('ul', { class: 'deliveries', 'aria-label': 'Deliveries' });
  const more = h('button', { type: 'button', hidden: true }, 'Show older');
  const sections = status
    ? [h('h2', {}, `${status[0]!.toUpperCase()}${status.slice(1)} deliveries`), restList, more]
    : [h('h2', {}, 'Failed'), failedList, h('h2', {}, 'Everything else, newest first'), restList, more];
  fill(main, h('h1', {}, 'Deliveries'), recover, filters, ...sections);

  let pages = 1;
  let shown = '';
  async function fetchAll(filter: { status?: Status }): Promise<{ items: Delivery[]; more: boolean }> {
    const items: Delivery[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < pages; i++) {
      const page = await must(api.GET('/v1/webhook-deliveries', { params: { query: { limit: 50, ...(kind ? { kind } : {}), ...filter, ...(cursor ? { cursor } : {}) } } }));
      items.push(...page.items);
      if (!page.nextCursor) return { items, more: false };
      cursor = page.nextCursor;
    }
    return { items, more: true };
  }
  async function load(): Promise<void> {
    const failed = status ? null : await fetchAll({ status: 'failed' });
    const rest = await fetchAll(status ? { status } : {});
    const others = status ? rest.items : rest.items.filter((d) => d.status !== 'failed');
    const key = JSON.stringify([failed, rest]);
    if (!ctx.current() || key === shown) return;
    shown = key;
    more.hidden = !rest.more && !failed?.more;
    const reload = () => void load().catch((e: unknown) => ctx.showProblem(e));
    if (failed) fill(failedList, failed.items.length ? failed.items.map((d) => deliveryItem(d, ctx, reload)) : h('li', { class: 'empty' }, 'No failed deliveries. When a receiver refuses or stays down past the retry schedule, its deliveries show here.'));
    fill(restList, others.length ? others.map((d) => deliveryItem(d, ctx, reload)) : h('li', { class: 'empty' }, kind || status ? 'No delivery matches these filters.' : 'Nothing sent yet: AgentKit sends lifecycle webhooks when agents register, and task deliveries when tasks are dispatched.'));
  }
  more.addEventListener('click', () => {
    pages++;
    void load().catch((e: unknown) => ctx.showProblem(e));
  });
  ctx.live(load, 2000);
};
