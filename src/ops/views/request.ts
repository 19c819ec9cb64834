import { adminCenterDeviceLink, isFailureReason, reasonLink } from '../../domain/reasons';
import { isFinal, requesterLabel, timelineEventOf, type TimelineEntry } from '../../domain/request';
import { explainAction } from '../../domain/action-errors';
import type { StoredRequest } from '../../store/requests';
import { html, time, type SafeHtml } from '../html';
import type { NotificationView } from '../notifications';
import { mayApprove, mayCancel, mayRetry, type ApprovalRules } from '../request-actions';
import { sessionHasRole, type OpsSession } from '../session';
import { banner, csrfField, page, stateBadge } from './layout';
import { endingEntry, reasonWords } from './outcome';

export interface RequestPageData {
  readonly stored: StoredRequest;
  readonly notifications: readonly NotificationView[];
  readonly adminCenterDeviceUrl: string;
  readonly approval: ApprovalRules;
}

const fact = (label: string, value: SafeHtml | string | number | undefined): SafeHtml =>
  value === undefined || value === '' ? html`` : html`<dt>${label}</dt><dd>${value}</dd>`;

function verdict(data: RequestPageData): SafeHtml {
  const { request, workflow, timeline } = data.stored;
  if (request.state === 'ineligible') {
    const last = timeline.at(-1);
    return html`<strong class="state ineligible">ineligible</strong> ${last?.reason ?? ''}`;
  }
  const checked = timeline.some((t) => t.from === 'checking_eligibility' && t.to !== 'ineligible' && t.to !== 'cancelled');
  if (checked) return html`<strong class="state succeeded">eligible</strong>${workflow.effect === undefined ? '' : ` (${workflow.effect.replaceAll('_', ' ')})`}`;
  return html`<span class="muted">not checked yet</span>`;
}

function device(data: RequestPageData): SafeHtml {
  const { request, workflow } = data.stored;
  const managed = workflow.managedDeviceId;
  return html`<dl class="facts">
${fact('Asked for', `${request.device.kind}: ${request.device.value}`)}
${fact('Verdict', verdict(data))}
${fact('Intune device', managed === undefined ? undefined : html`<code>${managed}</code> · <a href="${adminCenterDeviceLink(data.adminCenterDeviceUrl, managed)}" rel="noopener noreferrer" target="_blank">open in the Intune admin center</a>`)}
${fact('Name', workflow.deviceName)}
${fact('Platform', workflow.operatingSystem === undefined ? undefined : `${workflow.operatingSystem} ${workflow.osVersion ?? ''}`)}
${fact('Notes', workflow.eligibilityNotes === undefined || workflow.eligibilityNotes.length === 0 ? undefined : html`<ul>${workflow.eligibilityNotes.map((n) => html`<li>${n}</li>`)}</ul>`)}
${fact('Candidates', workflow.candidates === undefined || workflow.candidates.length === 0 ? undefined : html`<ul>${workflow.candidates.map((c) => html`<li><code>${c.id}</code> ${c.deviceName} (${c.operatingSystem})${c.lastSyncDateTime === undefined ? '' : html`, last sync ${time(c.lastSyncDateTime)}`}</li>`)}</ul>`)}
</dl>`;
}

function graphAction(data: RequestPageData): SafeHtml {
  const { workflow, request } = data.stored;
  if (workflow.submittedAt === undefined && workflow.held === undefined) {
    return html`<p class="muted">No resetPasscode sent yet${isFinal(request.state) ? ' (and none will be for this attempt)' : ''}.</p>`;
  }
  return html`<dl class="facts">
${fact('Held', workflow.held === undefined ? undefined : workflow.held === 'paused' ? 'waiting: the tenant\'s submissions are paused' : 'waiting: the blast-radius limit is reached')}
${fact('Submitted', workflow.submittedAt === undefined ? undefined : time(workflow.submittedAt))}
${fact('Submit attempts', workflow.submitAttempts)}
${fact('Action state', workflow.actionState === undefined ? undefined : stateBadge(workflow.actionState))}
${fact('Intune error code', workflow.actionErrorCode === undefined || workflow.actionErrorCode === 0 ? undefined : actionErrorText(workflow.actionState, workflow.actionErrorCode))}
${fact('Status checks', workflow.pollChecks)}
${fact('Dry run', workflow.dryRun === true ? 'yes: nothing was sent to Graph' : undefined)}
</dl>
<p class="small muted">The new passcode is shown only in the Intune admin center, for 7 days. This service never reads or stores it.</p>`;
}

/** The code with what it means and what to do next (src/domain/action-errors.ts). */
function actionErrorText(actionState: string | undefined, code: number): string {
  const state = actionState?.toLowerCase() === 'notsupported' ? 'notSupported' : actionState?.toLowerCase() === 'canceled' ? 'canceled' : 'failed';
  const { meaning, next } = explainAction(state, code);
  return `${code}: ${meaning} Next: ${next}`;
}

function outcome(data: RequestPageData): SafeHtml {
  const { request, workflow, timeline } = data.stored;
  if (!isFinal(request.state)) return html`<p>${stateBadge(request.state)} <span class="muted">Not finished yet.</span></p>`;
  const reason = workflow.outcomeReason;
  const last = endingEntry({ request, timeline });
  const link = reason !== undefined && reason !== 'done' && isFailureReason(reason) ? reasonLink(reason) : undefined;
  // The code in words, unless they only repeat the state (cancelled).
  const words = reason === undefined || reasonWords(reason).toLowerCase() === request.state.replaceAll('_', ' ') ? '' : html` <strong>${reasonWords(reason)}</strong>`;
  return html`<p>${stateBadge(request.state)}${words}${reason === undefined ? '' : html` <code>${reason}</code>`}</p>
${last === undefined ? '' : html`<p>${last.reason}</p>`}
${link === undefined ? '' : html`<p><a href="${link}" rel="noopener noreferrer" target="_blank">What this means and how to fix it (Microsoft Learn)</a></p>`}`;
}

function notifications(data: RequestPageData, session: OpsSession): SafeHtml {
  if (data.notifications.length === 0) return html`<p class="empty">No notification queued for this request yet (or they are older than the queue keeps).</p>`;
  const canRetry = sessionHasRole(session, 'operate');
  return html`<div class="table-wrap"><table><caption class="sr-only">Notifications</caption><thead><tr><th scope="col">Event</th><th scope="col">Channel</th><th scope="col">Delivery</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
<tbody>${data.notifications.map(
    (n) => html`<tr><td>${n.event.replaceAll('_', ' ')}</td><td>${n.channel}</td><td>${stateBadge(n.state)}</td><td class="num">${n.attempts} / ${n.maxAttempts}</td><td>${n.lastError ?? ''}</td>
<td>${n.state === 'undeliverable' && canRetry ? retryForm(data.stored.request.id, n, session) : ''}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The notification's address as form fields: its event and channel, and its linked ticket and attempt when it has them. */
function retryForm(requestId: string, n: NotificationView, session: OpsSession): SafeHtml {
  const { event, channel, ticket, requestAttempt } = n.target;
  return html`<form class="inline" method="post" action="/ops/requests/${requestId}/notifications/retry">${csrfField(session)}<input type="hidden" name="event" value="${event}"><input type="hidden" name="channel" value="${channel}">${
    ticket === undefined ? '' : html`<input type="hidden" name="ticketSystem" value="${ticket.system}"><input type="hidden" name="ticketKey" value="${ticket.key}">`
  }${requestAttempt === undefined ? '' : html`<input type="hidden" name="attempt" value="${String(requestAttempt)}">`}<button class="secondary" type="submit">Retry</button></form>`;
}

function entry(t: TimelineEntry): SafeHtml {
  // An event (an approval recorded, a note) leaves the state as it was: it is named, not drawn as a move.
  const event = timelineEventOf(t);
  const change = event !== undefined ? html`<span class="muted">${event.replaceAll('_', ' ')}</span>` : html`${t.from === null ? '' : html`${stateBadge(t.from)} → `}${stateBadge(t.to)}`;
  return html`<li class="${isFinal(t.to) && t.from !== t.to ? 'final' : ''}">${time(t.at)} · ${change} · <strong>${t.actor}</strong><br>${t.reason}${
    t.details === undefined ? '' : html`<details><summary class="small">details</summary><pre class="small">${JSON.stringify(t.details, null, 2)}</pre></details>`
  }</li>`;
}

/**
 * Whether a reset sent for this request may still take effect, so that a retry would make a second passcode: an
 * attempt timed out (a request put back to `failed` by a retry that could not start, or ended by the jobless sweep
 * after such a retry, keeps it in its timeline), or the last attempt was ended as an internal error while its reset
 * may have been sent (the jobless sweep, or a bug, in `submitting` or `awaiting_device`).
 */
function resetMayHaveTakenEffect(stored: StoredRequest): boolean {
  if (stored.request.state === 'timed_out' || stored.workflow.outcomeReason === 'timed_out') return true;
  const moves = stored.timeline.filter((entry) => entry.event === undefined);
  if (moves.some((entry) => entry.to === 'timed_out')) return true;
  const ending = moves.findLast((entry) => entry.to === 'failed');
  return stored.workflow.outcomeReason === 'internal_error' && (ending?.from === 'submitting' || ending?.from === 'awaiting_device');
}

/** Only the actions this viewer may take on the request in its state (src/ops/request-actions.ts), and why not. */
function actions(data: RequestPageData, session: OpsSession): SafeHtml {
  const { request } = data.stored;
  const id = request.id;
  const forms: SafeHtml[] = [];
  const approve = mayApprove(session, data.stored, data.approval);
  if (approve.may) {
    forms.push(html`<form class="inline" method="post" action="/ops/requests/${id}/approve">${csrfField(session)}<button type="submit">Approve</button></form>`);
  }
  if (mayRetry(session, data.stored).may) {
    const warn = resetMayHaveTakenEffect(data.stored) ? 'The first reset may still have taken effect: a retry makes a new passcode. Retry?' : 'Retry this request from the device check?';
    forms.push(html`<form class="inline" method="post" action="/ops/requests/${id}/retry" data-confirm="${warn}">${csrfField(session)}<button type="submit">Retry</button></form>`);
  }
  if (mayCancel(session, data.stored).may) {
    forms.push(
      html`<form class="inline" method="post" action="/ops/requests/${id}/cancel" data-confirm="Cancel this request? A reset already sent to Graph cannot be taken back.">${csrfField(session)}<label class="sr-only" for="cancel-reason">Reason</label><input id="cancel-reason" name="reason" placeholder="Reason (optional)" maxlength="500"><button class="danger" type="submit">Cancel</button></form>`,
    );
  }
  const why = approve.may || approve.why === undefined ? '' : html`<p class="small muted" id="approve-note">${approve.why}</p>`;
  if (forms.length === 0) return html`<p class="muted small">No action available to you on a request in this state.</p>${why}`;
  return html`<div class="actions">${forms}</div>${why}`;
}

/** The request's page; `flash` is a done action's note, `refusal` why an action tried from this page was refused. */
export function requestPage(session: OpsSession, data: RequestPageData, flash?: SafeHtml, refusal?: string): string {
  const { request, timeline } = data.stored;
  const tickets = [request.ticket, ...request.linkedTickets].filter((t) => t !== undefined);
  return page(
    { title: `Request ${request.id.slice(0, 8)}`, session, section: 'requests', refreshSeconds: 5 },
    html`<p class="small"><a href="/ops/requests">← Requests</a></p>
<h1>Request <code>${request.id}</code></h1>
${flash ?? ''}
<div id="live-head" data-live><p>${stateBadge(request.state)} <span class="muted small">updated ${time(request.updatedAt)}</span></p></div>
<section class="card" aria-labelledby="h-actions"><h2 id="h-actions">Actions</h2>${refusal === undefined ? '' : html`<div id="refusal">${banner('bad', 'That action was not done', refusal)}</div>`}<div id="live-actions" data-live>${actions(data, session)}</div></section>
<div class="grid">
<section class="card" aria-labelledby="h-request"><h2 id="h-request">Request</h2><dl class="facts">
${fact('Requested by', requesterLabel(request))}
${fact('Reason', request.reason)}
${fact('Tickets', tickets.length === 0 ? undefined : tickets.map((t) => `${t.system} ${t.key}`).join(', '))}
${fact('Source', request.source)}
${fact('Submitted by', request.submittedBy)}
${fact('Created', time(request.createdAt))}
${fact('Attempt', data.stored.workflow.attempt)}
${fact('Approved by', data.stored.workflow.apiApproval?.by ?? data.stored.workflow.approver)}
</dl></section>
<section class="card" aria-labelledby="h-outcome"><h2 id="h-outcome">Outcome</h2><div id="live-outcome" data-live>${outcome(data)}</div></section>
</div>
<div class="grid">
<section class="card" aria-labelledby="h-device"><h2 id="h-device">Device and eligibility</h2><div id="live-device" data-live>${device(data)}</div></section>
<section class="card" aria-labelledby="h-graph"><h2 id="h-graph">Graph action</h2><div id="live-graph" data-live>${graphAction(data)}</div></section>
</div>
<section class="card" aria-labelledby="notifications"><h2 id="notifications">Notifications</h2><div id="live-notifications" data-live>${notifications(data, session)}</div></section>
<section class="card" aria-labelledby="timeline"><h2 id="timeline">Timeline</h2><div id="live-timeline" data-live><ol class="timeline">${timeline.map(entry)}</ol></div></section>`,
  );
}

