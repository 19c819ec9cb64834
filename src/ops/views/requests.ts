import { REQUEST_STATES, requesterLabel, type ResetRequest } from '../../domain/request';
import { html, query, time, type SafeHtml } from '../html';
import type { OpsSession } from '../session';
import { banner, page, stateBadge } from './layout';
import type { OutcomeSummary } from './outcome';

export interface ListQuery {
  readonly state?: string;
  readonly ticket?: string;
  readonly device?: string;
  readonly requester?: string;
  /** datetime-local values as typed (UTC). */
  readonly from?: string;
  readonly to?: string;
  readonly cursor?: string;
}

function field(id: keyof ListQuery, label: string, value: string | undefined, type = 'text', extra: SafeHtml = html``): SafeHtml {
  return html`<div><label for="f-${id}">${label}</label><input id="f-${id}" name="${id}" type="${type}" value="${value ?? ''}" maxlength="254" ${extra}></div>`;
}

function filters(q: ListQuery): SafeHtml {
  return html`<form class="filters card" method="get" action="/ops/requests" role="search" aria-label="Filter requests">
<div><label for="f-state">State</label><select id="f-state" name="state"><option value="">any</option>${REQUEST_STATES.map(
    (s) => html`<option value="${s}"${q.state === s ? html` selected` : ''}>${s.replaceAll('_', ' ')}</option>`,
  )}</select></div>
${field('ticket', 'Ticket', q.ticket)}
${field('device', 'Device (any identifier)', q.device)}
${field('requester', 'Requester (UPN)', q.requester)}
${field('from', 'Created from (UTC)', q.from, 'datetime-local')}
${field('to', 'Created to (UTC)', q.to, 'datetime-local')}
<div class="actions"><button type="submit">Filter</button><a class="button secondary" href="/ops/requests">Clear</a></div>
</form>`;
}

/** Why a finished request did not succeed: the reason code in words, and the timeline's reason, shortened. */
function reasonCell(outcome: OutcomeSummary | undefined): SafeHtml {
  if (outcome === undefined) return html`<td class="reason"></td>`;
  const words = outcome.words === undefined ? '' : html`<span title="${outcome.code ?? ''}">${outcome.words}</span>`;
  const detail = outcome.detail === undefined ? '' : html`<br><span class="muted small"${outcome.full === undefined ? '' : html` title="${outcome.full}"`}>${outcome.detail}</span>`;
  return html`<td class="reason">${words}${detail}</td>`;
}

function row(r: ResetRequest, outcome: OutcomeSummary | undefined): SafeHtml {
  const ticket = r.ticket === undefined ? '' : `${r.ticket.key}${r.linkedTickets.length > 0 ? ` +${String(r.linkedTickets.length)}` : ''}`;
  return html`<tr>
<td><a href="/ops/requests/${r.id}">${r.id.slice(0, 8)}…</a></td>
<td>${stateBadge(r.state)}</td>
${reasonCell(outcome)}
<td>${time(r.createdAt)}</td>
<td>${r.device.value} <span class="muted small">${r.device.kind}</span></td>
<td>${requesterLabel(r)}</td>
<td>${ticket}</td>
<td>${r.source}</td>
<td>${time(r.updatedAt)}</td>
</tr>`;
}

export function requestsPage(
  session: OpsSession,
  q: ListQuery,
  items: readonly ResetRequest[],
  nextCursor: string | null,
  outcomes: ReadonlyMap<string, OutcomeSummary> = new Map(),
  error?: string,
): string {
  const rest: Readonly<Record<string, string | undefined>> = { ...q, cursor: undefined };
  const filtered = [rest.state, rest.ticket, rest.device, rest.requester, rest.from, rest.to].some((v) => v !== undefined && v !== '');
  const body =
    items.length === 0
      ? html`<p class="empty">${filtered ? html`No request matches these filters. <a href="/ops/requests">Clear the filters</a>.` : 'No request yet. Requests arrive from the API and from ServiceNow and Jira tickets.'}</p>`
      : html`<div class="table-wrap"><table><caption class="sr-only">Requests, newest first</caption>
<thead><tr><th scope="col">Request</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">Created</th><th scope="col">Device</th><th scope="col">Requester</th><th scope="col">Ticket</th><th scope="col">Source</th><th scope="col">Updated</th></tr></thead>
<tbody>${items.map((r) => row(r, outcomes.get(r.id)))}</tbody></table></div>`;
  return page(
    { title: 'Requests', session, section: 'requests', refreshSeconds: 10 },
    html`<h1>Requests</h1>
${error === undefined ? '' : banner('warn', 'Check the filters', error)}
${filters(q)}
<section class="card" aria-label="Results"><div id="live-list" data-live>${body}</div>
<nav class="pager" aria-label="Pages">${q.cursor === undefined ? '' : html`<a class="button secondary" href="/ops/requests${query({ ...rest })}">First page</a>`}${
      nextCursor === null ? '' : html`<a class="button secondary" rel="next" href="/ops/requests${query({ ...rest, cursor: nextCursor })}">Next page</a>`
    }</nav></section>`,
  );
}
