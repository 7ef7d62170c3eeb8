import { api, can, currentSession, must } from '../api.js';
import { badge, fill, h, json, link, table, time } from '../dom.js';
import type { Page } from '../page.js';
import type { components } from '../../../generated/ts/agentkit.js';

type Agent = components['schemas']['Agent'];
type Counts = components['schemas']['Statistics']['tasksByAgent'][number];

export const agentsPage: Page = (main, _params, ctx) => {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const more = h('button', { type: 'button', hidden: true }, 'Show more agents');
  fill(main, h('h1', {}, 'Agents'), list, more);
  let pages = 1;
  let shown = '';
  const load = async () => {
    const agents: Agent[] = [];
    let cursor: string | undefined;
    let next: string | null = null;
    for (let i = 0; i < pages; i++) {
      const page = await must(api.GET('/v1/agents', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }));
      agents.push(...page.items);
      next = page.nextCursor;
      if (!next) break;
      cursor = next;
    }
    const stats = can('getStatistics') ? await must(api.GET('/v1/statistics')) : null;
    const byAgent = new Map<string, Counts>((stats?.tasksByAgent ?? []).map((c) => [c.agentId, c]));
    const key = JSON.stringify([agents, stats?.tasksByAgent]);
    if (!ctx.current() || key === shown) return;
    shown = key;
    more.hidden = !next;
    fill(
      list,
      table(
        ['Agent', 'Capabilities', 'Endpoint', 'Registered', 'Last seen', 'Running', 'Queued', 'Failed'],
        agents.map((a) => {
          const c = byAgent.get(a.agentId);
          return [
            h('span', {}, link(`/agents/${encodeURIComponent(a.agentId)}`, a.agentId), h('br'), h('span', { class: 'muted' }, `${a.agentName} ${a.version}`)),
            a.capabilities.join(', ') || '—',
            h('code', { class: 'url' }, a.contactEndpoint),
            time(a.registeredAt),
            time(a.lastSeenAt),
            c?.running ?? 0,
            c?.queued ?? 0,
            c && c.failed > 0 ? link(`/tasks?agent=${encodeURIComponent(a.agentId)}&status=failed`, String(c.failed)) : (c?.failed ?? 0),
          ];
        }),
        'No agents are registered. Start one with the SDK (npx tsx examples/echo-agent.ts) or POST /v1/agents.',
      ),
    );
  };
  more.addEventListener('click', () => {
    pages++;
    void load().catch((e: unknown) => ctx.showProblem(e));
  });
  ctx.live(load, 3000);
};

export const agentPage: Page = (main, params, ctx) => {
  const agentId = params.id ?? '';
  const details = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const tasks = h('div');
  const actions = h('div', { class: 'actions' });
  const session = currentSession();
  fill(main, h('h1', {}, 'Agent ', h('code', {}, agentId)), actions, details, can('listTasks') ? [h('h2', {}, 'Recent tasks'), tasks] : null);
  if (can('deregisterAgent') && session?.role === 'admin') {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-action': 'deregister',
          onclick: () => {
            if (!confirm(`Deregister ${agentId}? Its undelivered tasks fail, and Ops-Core hears DEREGISTER.`)) return;
            void must(api.DELETE('/v1/agents/{agentId}', { params: { path: { agentId } } }))
              .then(() => {
                location.hash = '#/agents';
              })
              .catch((e: unknown) => ctx.showProblem(e));
          },
        },
        'Deregister agent',
      ),
    );
  }
  let shown = '';
  ctx.live(async () => {
    const agent = await must(api.GET('/v1/agents/{agentId}', { params: { path: { agentId } } }));
    const recent = can('listTasks') ? await must(api.GET('/v1/tasks', { params: { query: { agentId, limit: 20 } } })) : null;
    const key = JSON.stringify([agent, recent]);
    if (!ctx.current() || key === shown) return;
    shown = key;
    fill(
      details,
      h(
        'dl',
        { class: 'props' },
        h('dt', {}, 'Name'), h('dd', {}, `${agent.agentName} ${agent.version}`),
        h('dt', {}, 'Capabilities'), h('dd', {}, agent.capabilities.join(', ') || '—'),
        h('dt', {}, 'Endpoint'), h('dd', {}, h('code', { class: 'url' }, agent.contactEndpoint)),
        h('dt', {}, 'Registered'), h('dd', {}, time(agent.registeredAt)),
        h('dt', {}, 'Updated'), h('dd', {}, time(agent.updatedAt)),
        h('dt', {}, 'Last seen'), h('dd', {}, time(agent.lastSeenAt)),
        h('dt', {}, 'Heartbeat'), h('dd', {}, agent.heartbeatIntervalSeconds ? `every ${agent.heartbeatIntervalSeconds} s` : 'none declared'),
        h('dt', {}, 'Concurrency'), h('dd', {}, agent.maxConcurrentTasks ?? 'no limit'),
        h('dt', {}, 'Metadata'), h('dd', {}, json(agent.metadata)),
      ),
    );
    if (recent) {
      fill(
        tasks,
        table(
          ['Task', 'Name', 'Status', 'Created', 'Updated'],
          recent.items.map((t) => [link(`/tasks/${t.taskId}`, h('code', {}, t.taskId)), t.task_name, badge(t.status), time(t.createdAt), time(t.updatedAt)]),
          `No tasks for ${agentId} yet. Dispatch one: agentkit run ${agentId} <task_name>.`,
        ),
        recent.nextCursor ? link(`/tasks?agent=${encodeURIComponent(agentId)}`, 'All tasks of this agent') : null,
      );
    }
  }, 2000);
};
