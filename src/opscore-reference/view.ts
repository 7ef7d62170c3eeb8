import type { ReceivedSnapshot } from './store.js';

function esc(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p class="empty">Nothing yet.</p>';
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c === null || c === undefined ? '' : esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A page for people: what the reference Ops-Core received, refreshed every few seconds. */
export function renderView(snapshot: ReceivedSnapshot, fault: unknown): string {
  const agents = table(
    ['agentId', 'name', 'version', 'capabilities', 'contactEndpoint', 'current state', 'since'],
    snapshot.agents.map((a) => [a.agentId, a.agentName, a.version, (a.capabilities ?? []).join(', '), a.contactEndpoint, a.currentState?.state, a.currentState?.timestamp]),
  );
  const states = Object.entries(snapshot.states)
    .map(
      ([agentId, list]) =>
        `<h3>${esc(agentId)}</h3>` +
        table(
          ['#', 'state', 'timestamp', 'received', 'details'],
          list.map((s, i) => [i + 1, s.state, s.timestamp, s.receivedAt, s.details]),
        ),
    )
    .join('\n');
  const notifications = table(
    ['received', 'event_type', 'agentId', 'webhook-id', 'signature'],
    snapshot.notifications.map((n) => [n.receivedAt, n.eventType, n.agentId, n.webhookId, n.signature]),
  );
  const requests = table(
    ['at', 'method', 'path', 'status', 'webhook-id', 'injected fault'],
    snapshot.requests.slice(-50).reverse().map((r) => [r.at, r.method, r.path, r.status, r.webhookId, r.injected ? 'yes' : '']),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>Reference Ops-Core: what it received</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  .banner { background: #fff3cd; border: 1px solid #e0c36a; padding: .6rem 1rem; border-radius: 4px; }
  table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
  th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; font-family: ui-monospace, monospace; font-size: 12px; }
  th { background: #f3f3f3; }
  .empty { color: #888; }
</style>
</head>
<body>
<p class="banner"><strong>This is the reference Ops-Core</strong>, a stand-in for development and tests. It is not Ops-Core,
and this page (<code>/_reference</code>, JSON at <code>/_reference/received</code>) is not part of Ops-Core's API.
Refreshes every 3 seconds.</p>
${fault ? `<p class="banner">Injected fault active: <code>${esc(fault)}</code></p>` : ''}
<h2>Registered agents</h2>
${agents}
<h2>State updates, per agent, in arrival order</h2>
${states || '<p class="empty">Nothing yet.</p>'}
<h2>Lifecycle notifications</h2>
${notifications}
<h2>Last 50 requests</h2>
${requests}
</body>
</html>
`;
}
