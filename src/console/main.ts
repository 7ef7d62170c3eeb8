/** The AgentKit operator console: sign-in, layout, hash routing and live refresh. */
import { api, ApiProblem, can, currentSession, forgetKey, keepKey, must, setSession, storedKey, type Session } from './api.js';
import { fill, h } from './dom.js';
import { agentPage, agentsPage } from './pages/agents.js';
import { deliveriesPage } from './pages/deliveries.js';
import { overviewPage } from './pages/overview.js';
import { taskPage, tasksPage } from './pages/tasks.js';
import type { Page, PageContext } from './page.js';

const root = document.getElementById('app')!;

/** What each role sees it may do, by the operations behind each action. */
const ACTIONS: Array<[string, string]> = [
  ['dispatchTask', 'dispatch tasks'],
  ['cancelTask', 'cancel tasks'],
  ['redeliverWebhookDelivery', 'redeliver a delivery'],
  ['redeliverFailedWebhookDeliveries', 'recover failed deliveries'],
  ['deregisterAgent', 'deregister agents'],
];

function route(): { page: Page; id: string | undefined; query: URLSearchParams; section: string } {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = hash.split('?');
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const session = currentSession();
  if (session?.role === 'agent') return { page: agentPage, id: session.agentId ?? '', query, section: 'agents' };
  switch (parts[0]) {
    case 'agents':
      return parts[1] ? { page: agentPage, id: parts[1], query, section: 'agents' } : { page: agentsPage, id: undefined, query, section: 'agents' };
    case 'tasks':
      return parts[1] ? { page: taskPage, id: parts[1], query, section: 'tasks' } : { page: tasksPage, id: undefined, query, section: 'tasks' };
    case 'deliveries':
      return { page: deliveriesPage, id: undefined, query, section: 'deliveries' };
    default:
      return { page: overviewPage, id: undefined, query, section: 'overview' };
  }
}

/** Bumped at each navigation: a page's timers and answers from an earlier one are dropped. */
let generation = 0;

function render(): void {
  const session = currentSession();
  if (!session) return signIn();
  const mine = ++generation;
  const { page, id, query, section } = route();
  const problem = h('div', { class: 'problem', role: 'alert', 'aria-live': 'assertive', hidden: true });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const navItem = (key: string, label: string, href: string, allowed: boolean) =>
    allowed ? h('li', {}, h('a', { href, ...(section === key ? { 'aria-current': 'page' } : {}) }, label)) : null;
  const nav =
    session.role === 'agent'
      ? h('ul', {}, h('li', {}, h('a', { href: '#/', 'aria-current': 'page' }, `Agent ${session.agentId ?? ''}`)))
      : h(
          'ul',
          {},
          navItem('overview', 'Overview', '#/', can('getStatistics')),
          navItem('agents', 'Agents', '#/agents', can('listAgents')),
          navItem('tasks', 'Tasks', '#/tasks', can('listTasks')),
          navItem('deliveries', 'Deliveries', '#/deliveries', can('listWebhookDeliveries')),
        );
  const allowed = session.role === 'agent' ? [] : ACTIONS.filter(([op]) => can(op)).map(([, what]) => what);
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '#/' }, 'AgentKit'),
    h('nav', { 'aria-label': 'Sections' }, nav),
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'role', 'data-role': session.role, title: allowed.length ? `This key may ${allowed.join(', ')}` : 'This key may only read' }, `Signed in: ${session.role}`),
      h('button', { type: 'button', class: 'link', onclick: () => signOut() }, 'Sign out'),
    ),
  );
  const caps = h(
    'p',
    { class: 'caps muted' },
    session.role === 'agent'
      ? `This agent’s credential acts for ${session.agentId ?? ''} only: here it may only read its own agent.`
      : allowed.length ? `This ${session.role} key may ${allowed.join(', ')}.` : `This ${session.role} key may only read.`,
  );
  fill(root, header, h('div', { class: 'wrap' }, caps, problem, main));

  /** The problem shown came from a refresh (the next good one clears it), not from an action. */
  let liveProblem = false;
  const ctx: PageContext = {
    live(load, everyMs = 2000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const run = async () => {
        if (mine !== generation) return;
        // A hidden tab asks nothing; it catches up as soon as it is shown again.
        if (document.hidden) {
          document.addEventListener('visibilitychange', () => void run(), { once: true });
          return;
        }
        try {
          await load();
          if (mine === generation && liveProblem) ctx.clearProblem();
        } catch (e) {
          if (mine === generation) {
            ctx.showProblem(e);
            liveProblem = true;
          }
        }
        if (mine === generation) timer = setTimeout(() => void run(), everyMs);
      };
      void run();
      return () => clearTimeout(timer);
    },
    current: () => mine === generation,
    showProblem(e) {
      const p = e instanceof ApiProblem ? e : new ApiProblem(0, 'Something went wrong', e instanceof Error ? e.message : String(e));
      if (p.status === 401) return signOut('Your key is no longer accepted: ' + [p.title, p.detail].filter(Boolean).join(' — '));
      liveProblem = false;
      fill(problem, h('strong', {}, p.title), p.detail ? h('span', {}, ` ${p.detail}`) : null);
      problem.hidden = false;
    },
    clearProblem() {
      problem.hidden = true;
      problem.replaceChildren();
    },
  };
  page(main, { id, query }, ctx);
}

function signOut(message?: string): void {
  forgetKey();
  setSession(null);
  generation++;
  signIn(message);
}

function signIn(message?: string): void {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('p', { class: 'problem', role: 'alert', hidden: !message }, message ?? '');
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'AgentKit console'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h('p', { class: 'muted' }, 'Paste an admin or dispatcher key (one of AGENTKIT_API_KEYS), or an agent’s agentToken. It is kept for this tab only and sent as a Bearer token.'),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      keepKey(input.value.trim());
      const answer = await tryWhoami();
      if (typeof answer === 'string') {
        forgetKey();
        fill(status, answer);
        status.hidden = false;
        input.focus();
        return;
      }
      setSession(answer);
      render();
      document.getElementById('main')?.focus();
    })();
  });
  fill(root, h('main', { id: 'main', class: 'wrap' }, form));
  input.focus();
}

/** The session for the stored key, or why there is none. */
async function tryWhoami(): Promise<Session | string> {
  try {
    const who = await must(api.GET('/v1/whoami'));
    if (who.role === 'agent' && who.agentId === null) return 'This is a registration key: it can only register new agents, so it cannot sign in here. Use an admin or dispatcher key, or an agent’s agentToken.';
    return who;
  } catch (e) {
    const p = e instanceof ApiProblem ? e : null;
    if (p?.status === 401) return `That key was not accepted: ${[p.title, p.detail].filter(Boolean).join(' — ')}.`;
    return p ? `${p.title}: ${p.detail}` : String(e);
  }
}

window.addEventListener('hashchange', () => {
  if (!currentSession()) return;
  render();
  // A keyboard or screen-reader user lands on the new page, not at the top of the old one.
  document.getElementById('main')?.focus();
});

void (async () => {
  if (!storedKey()) return signIn();
  const answer = await tryWhoami();
  if (typeof answer === 'string') return signOut(answer);
  setSession(answer);
  render();
})();
