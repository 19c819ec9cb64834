import { CSS_PATH, FAVICON_PATH, JS_PATH } from '../assets';
import { html, type SafeHtml } from '../html';
import type { OpsSession } from '../session';

export type Section = 'overview' | 'requests' | 'none';

export interface PageOptions {
  readonly title: string;
  readonly session?: OpsSession;
  readonly section?: Section;
  /** Seconds between live refreshes of the page's data-live regions; none when the page has none. */
  readonly refreshSeconds?: number;
}

function nav(session: OpsSession, section: Section): SafeHtml {
  const link = (href: string, label: string, id: Section) => html`<a href="${href}"${id === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav aria-label="Main">
      ${link('/ops', 'Overview', 'overview')}
      ${link('/ops/requests', 'Requests', 'requests')}
      <a href="/admin/queues/">Queues</a>
      <a href="/docs">API</a>
    </nav>
    <span class="small muted">Signed in as <strong>${session.name}</strong> (${session.roles.join(', ')})</span>
    <form method="post" action="/ops/logout"><input type="hidden" name="_csrf" value="${session.csrf}"><button class="secondary" type="submit">Sign out</button></form>`;
}

/** The page shell: skip link, header and navigation, one main landmark, the live-status line, the script. */
export function page(options: PageOptions, body: SafeHtml): string {
  const { session } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title} · Passcode resets</title>
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<link rel="stylesheet" href="${CSS_PATH}">
<script src="${JS_PATH}" defer></script>
</head>
<body${options.refreshSeconds === undefined ? '' : html` data-refresh="${options.refreshSeconds}"`}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">Passcode resets · Operations</span>
  ${session === undefined ? '' : nav(session, options.section ?? 'none')}
</header>
<main id="main" tabindex="-1">
${options.refreshSeconds === undefined ? '' : html`<p id="live-status" class="muted" role="status" aria-live="polite"></p>`}
${body}
</main>
</body>
</html>
`.value;
}

export function banner(kind: 'ok' | 'warn' | 'bad', title: string, text?: SafeHtml | string, role: 'status' | 'alert' = kind === 'bad' ? 'alert' : 'status'): SafeHtml {
  return html`<div class="banner ${kind}" role="${role}"><strong>${title}</strong>${text === undefined ? '' : html`<span>${text}</span>`}</div>`;
}

export function stateBadge(state: string): SafeHtml {
  return html`<span class="state ${state}">${state.replaceAll('_', ' ')}</span>`;
}

export function csrfField(session: OpsSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrf}">`;
}

/** An error page: what went wrong, in words, and where to go next. */
export function errorPage(session: OpsSession | undefined, status: number, title: string, message: string, back?: string): string {
  return page(
    { title, ...(session === undefined ? {} : { session }) },
    html`<h1>${title}</h1>${banner(status >= 500 ? 'bad' : 'warn', message)}<p>${back === undefined ? '' : html`<a href="${back}">Back</a> · `}<a href="/ops">Overview</a> · <a href="/ops/requests">Requests</a>${session === undefined ? html` · <a href="/ops/login">Sign in</a>` : ''}</p>`,
  );
}

export function loginPage(error?: string, next?: string): string {
  return page(
    { title: 'Sign in' },
    html`<div class="card login">
<h1>Sign in</h1>
<p class="muted">Paste an API token with the <em>operate</em>, <em>approve</em> or <em>admin</em> role. <code>npm start</code> prints a demo token.
The token is checked once; the page then uses a session cookie, and the token is not kept.</p>
${error === undefined ? '' : banner('bad', 'Not signed in', error)}
<form method="post" action="/ops/login">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="off" required autofocus spellcheck="false">
  ${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
  <p><button type="submit">Sign in</button></p>
</form>
</div>`,
  );
}
