import { REQUEST_STATES } from '../../domain/request';
import type { Series, Snapshot, TenantSnapshot } from '../../metrics/snapshot';
import { formatDuration, html, query, time, type SafeHtml } from '../html';
import type { NotificationView } from '../notifications';
import { sessionHasRole, type OpsSession } from '../session';
import type { TenantAction } from '../../store/tenant-actions';
import { seriesChart } from './chart';
import { banner, csrfField, page, stateBadge } from './layout';

export interface OverviewData {
  readonly snapshot: Snapshot;
  readonly hour: Series;
  readonly day: Series;
  readonly undeliverable: { readonly count: number; readonly items: readonly NotificationView[] };
  readonly tenantActions: readonly TenantAction[];
}

function alerts(data: OverviewData): SafeHtml[] {
  const out: SafeHtml[] = [];
  for (const t of data.snapshot.tenants) {
    const p = t.submissions.paused;
    if (p !== null) {
      out.push(banner('bad', `Submissions are paused for tenant ${t.tenantId}`, `Paused by ${p.by} at ${p.at}${p.reason === undefined ? '' : `: ${p.reason}`}. Approved requests wait; nothing fails. An admin resumes below.`));
    }
    const b = t.submissions.blastRadius;
    if (b.usedLastHour >= b.limitPerHour) {
      out.push(banner('warn', `Blast-radius limit reached for tenant ${t.tenantId}`, `${String(b.usedLastHour)} of ${String(b.limitPerHour)} resets submitted in the last hour. Further submissions wait until the hour rolls on or an admin raises the limit below.`));
    }
    if (t.budget.pausedForMs > 0) {
      out.push(banner('warn', `Graph throttled tenant ${t.tenantId}`, `Graph answered 429; every worker waits ${formatDuration(t.budget.pausedForMs / 1000)} more before calling it again. See docs/operations.md, "Throttling".`));
    }
  }
  const { held } = data.snapshot;
  if (held.paused + held.blast_radius > 0) {
    out.push(banner('warn', `${String(held.paused + held.blast_radius)} approved requests are held`, html`${held.paused} by a pause, ${held.blast_radius} by the blast-radius limit. <a href="/ops/requests?state=approved">See them</a>.`));
  }
  if (data.undeliverable.count > 0) {
    out.push(banner('bad', `${String(data.undeliverable.count)} notifications could not be delivered`, html`Every attempt failed. <a href="#undeliverable">See which, and retry them</a>.`));
  }
  return out;
}

function stateCounts(snapshot: Snapshot): SafeHtml {
  return html`<dl class="counts">${REQUEST_STATES.map(
    (s) => html`<div><a href="/ops/requests${query({ state: s })}"><dt>${stateBadge(s)}</dt><dd>${snapshot.states[s]}</dd></a></div>`,
  )}</dl>`;
}

function queues(snapshot: Snapshot): SafeHtml {
  const cols = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
  return html`<div class="table-wrap"><table class="stack"><caption class="sr-only">Queue depth</caption><thead><tr><th scope="col">Queue</th>${cols.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
<tbody>${(['reset', 'notify'] as const).map((q) => html`<tr><th scope="row">${q}</th>${cols.map((c) => html`<td class="num" data-label="${c}">${snapshot.queues[q][c]}</td>`)}</tr>`)}</tbody></table></div>
<p class="small muted">Delayed reset jobs are requests waiting on an approval, the budget or the device; that is normal. <a href="/admin/queues/">Open the queues</a>.</p>`;
}

function tenantRow(t: TenantSnapshot, session: OpsSession): SafeHtml {
  const admin = sessionHasRole(session, 'admin');
  const b = t.submissions.blastRadius;
  const id = encodeURIComponent(t.tenantId);
  const pct = (used: number, limit: number) => `${String(Math.round((100 * used) / Math.max(1, limit)))} %`;
  return html`<tr>
<th scope="row"><code>${t.tenantId}</code></th>
<td data-label="Submissions">${t.submissions.paused === null ? 'running' : html`<strong>paused</strong> by ${t.submissions.paused.by}`}</td>
<td class="num" data-label="Blast radius (last hour)">${b.usedLastHour} / ${b.limitPerHour}${b.overridden ? ' (raised)' : ''}</td>
<td class="num" data-label="Graph writes (window)">${t.budget.writes} / ${t.budget.writeLimit} (${pct(t.budget.writes, t.budget.writeLimit)})</td>
<td class="num" data-label="Graph reads (window)">${t.budget.reads} / ${t.budget.readLimit} (${pct(t.budget.reads, t.budget.readLimit)})</td>
<td class="block" data-label="Actions">${admin
    ? html`<div class="actions">
${t.submissions.paused === null
        ? html`<form class="inline" method="post" action="/ops/tenants/${id}/pause" data-confirm="Pause every resetPasscode submission for this tenant?">${csrfField(session)}<label class="sr-only" for="pause-${t.tenantId}">Reason</label><input id="pause-${t.tenantId}" name="reason" placeholder="Reason" maxlength="500"><button class="danger" type="submit">Pause</button></form>`
        : html`<form class="inline" method="post" action="/ops/tenants/${id}/resume">${csrfField(session)}<button type="submit">Resume</button></form>`}
<form class="inline" method="post" action="/ops/tenants/${id}/blast-radius">${csrfField(session)}<label class="sr-only" for="limit-${t.tenantId}">New limit per hour</label><input id="limit-${t.tenantId}" name="limitPerHour" type="number" min="1" max="100000" required value="${b.limitPerHour}"><button class="secondary" type="submit">Set limit</button></form>
</div>`
    : html`<span class="muted small">admin only</span>`}</td>
</tr>`;
}

function tenants(data: OverviewData, session: OpsSession): SafeHtml {
  if (data.snapshot.tenants.length === 0) {
    return html`<p class="empty">No tenant seen yet. A tenant appears here once a worker for it has started or called Graph, or once an admin acts on it.</p>`;
  }
  return html`<div class="table-wrap"><table class="stack"><caption class="sr-only">Tenants</caption><thead><tr><th scope="col">Tenant</th><th scope="col">Submissions</th><th scope="col" class="num">Blast radius (last hour)</th><th scope="col" class="num">Graph writes (window)</th><th scope="col" class="num">Graph reads (window)</th><th scope="col">Actions</th></tr></thead>
<tbody>${data.snapshot.tenants.map((t) => tenantRow(t, session))}</tbody></table></div>`;
}

function undeliverable(data: OverviewData): SafeHtml {
  if (data.undeliverable.count === 0) return html`<p class="empty">Every notification so far was delivered or is still being tried.</p>`;
  return html`<div class="table-wrap"><table><caption class="sr-only">Undeliverable notifications</caption><thead><tr><th scope="col">Request</th><th scope="col">Event</th><th scope="col">Channel</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead>
<tbody>${data.undeliverable.items.map(
    (n) => html`<tr><td><a href="/ops/requests/${n.target.requestId}#notifications">${n.target.requestId.slice(0, 8)}…</a></td><td>${n.event}</td><td>${n.channel}</td><td class="num">${n.attempts}</td><td>${n.lastError ?? ''}</td></tr>`,
  )}</tbody></table></div>${data.undeliverable.count > data.undeliverable.items.length ? html`<p class="small muted">Showing the newest ${data.undeliverable.items.length} of ${data.undeliverable.count}.</p>` : ''}`;
}

function tenantActions(actions: readonly TenantAction[]): SafeHtml {
  if (actions.length === 0) return html`<p class="empty">No tenant action yet.</p>`;
  return html`<ol class="timeline">${actions.map((a) => html`<li>${time(a.at)} · <strong>${a.by}</strong> ${a.action} tenant <code>${a.tenantId}</code>${a.detail === undefined ? '' : `: ${a.detail}`}</li>`)}</ol>`;
}

export function overviewPage(session: OpsSession, data: OverviewData, flash?: SafeHtml): string {
  return page(
    { title: 'Overview', session, section: 'overview', refreshSeconds: 5 },
    html`<h1>Overview</h1>
${flash ?? ''}
<div id="live-alerts" data-live>${alerts(data)}</div>
<section class="card" aria-labelledby="h-states"><h2 id="h-states">Requests by state</h2><div id="live-states" data-live>${stateCounts(data.snapshot)}</div></section>
<section class="card" aria-labelledby="h-flow"><h2 id="h-flow">Throughput and time to outcome</h2><div id="live-charts" data-live class="grid">${seriesChart('Last hour', data.hour, 'the last hour')}${seriesChart('Last day', data.day, 'the last day')}</div></section>
<div class="grid">
<section class="card" aria-labelledby="h-queues"><h2 id="h-queues">Queue depth</h2><div id="live-queues" data-live>${queues(data.snapshot)}</div></section>
<section class="card" aria-labelledby="undeliverable"><h2 id="undeliverable">Undeliverable notifications</h2><div id="live-undeliverable" data-live>${undeliverable(data)}</div></section>
</div>
<section class="card" aria-labelledby="h-tenants"><h2 id="h-tenants">Tenants: submissions and Graph budget</h2>${tenants(data, session)}
${sessionHasRole(session, 'admin')
      ? html`<details><summary>Add a tenant to this list</summary><form class="inline" method="post" action="/ops/tenants">${csrfField(session)}<label for="tenant-id">Tenant id (GUID)</label><input id="tenant-id" name="tenantId" pattern="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}" required><button class="secondary" type="submit">Add</button></form></details>`
      : ''}
</section>
<section class="card" aria-labelledby="h-tactions"><h2 id="h-tactions">Recent tenant actions</h2>${tenantActions(data.tenantActions)}</section>`,
  );
}
