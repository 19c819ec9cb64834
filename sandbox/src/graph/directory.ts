/**
 * Tenant checks and mail: service principals (serviceprincipal-get, serviceprincipal-list), the configuration lists
 * the PIN recovery check reads (configurations.ts) and user-sendmail (a JSON message, or base64 MIME sent as
 * text/plain).
 */
import { simpleParser, type AddressObject } from 'mailparser';
import { ODataFilterError, parseEqFilter } from '../odata-filter';
import { configurationRoutes } from './configurations';
import { GraphHttpError, parseSelect, project, type GraphContext, type GraphResult, type GraphRoute } from './route';

const READ_APPLICATIONS = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const DIRECTORY_FORBIDDEN = { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };
const SP_PROPERTIES = new Set(['id', 'appId', 'displayName', 'accountEnabled', 'servicePrincipalType', 'appOwnerOrganizationId']);
const SP_KEY = /^servicePrincipals\(appId='((?:[^']|'')*)'\)$/i;

function spByAppId(ctx: GraphContext): GraphResult {
  const appId = ctx.params.appId ?? '';
  const select = parseSelect(ctx.query, SP_PROPERTIES, 'servicePrincipal');
  const sp = ctx.control.state.servicePrincipals.find((s) => s.appId.toLowerCase() === appId.toLowerCase());
  if (sp === undefined) {
    throw new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${appId}' does not exist or one of its queried reference-property objects are not present.`);
  }
  return { status: 200, body: { '@odata.context': `${ctx.origin}/${ctx.version}/$metadata#servicePrincipals/$entity`, ...project({ ...sp }, select) } };
}

function listSps(ctx: GraphContext): GraphResult {
  const select = parseSelect(ctx.query, SP_PROPERTIES, 'servicePrincipal');
  let sps = ctx.control.state.servicePrincipals;
  const filter = ctx.query.get('$filter');
  if (filter !== null) {
    try {
      const { value } = parseEqFilter(filter, ['appId']);
      sps = sps.filter((s) => s.appId.toLowerCase() === value.toLowerCase());
    } catch (e) {
      if (e instanceof ODataFilterError) throw new GraphHttpError(400, 'Request_UnsupportedQuery', e.message);
      throw e;
    }
  }
  return { status: 200, body: { '@odata.context': `${ctx.origin}/${ctx.version}/$metadata#servicePrincipals`, value: sps.map((s) => project({ ...s }, select)) } };
}

/** Graph's MIME form of sendMail: the whole message as base64 MIME, sent as text/plain. */
async function sendMimeMail(ctx: GraphContext, base64: string): Promise<GraphResult> {
  const trimmed = base64.replace(/\s+/g, '');
  if (trimmed === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new GraphHttpError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
  }
  const parsed = await simpleParser(Buffer.from(trimmed, 'base64'));
  const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
    (field === undefined ? [] : Array.isArray(field) ? field : [field]).flatMap((a) => a.value.map((v) => v.address ?? '')).filter((a) => a !== '');
  const to = addresses(parsed.to);
  if (to.length === 0) throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
  ctx.control.sentMail.push({
    at: ctx.control.clock.now(),
    userId: ctx.params.id ?? '',
    message: { subject: parsed.subject ?? '', toRecipients: to.map((address) => ({ emailAddress: { address } })) },
    saveToSentItems: undefined,
    mime: {
      from: parsed.from?.text ?? '',
      to,
      cc: addresses(parsed.cc),
      subject: parsed.subject ?? '',
      text: parsed.text,
      html: parsed.html === false ? undefined : parsed.html,
    },
  });
  return { status: 202 };
}

/**
 * Who may send as the mailbox: an app with the Mail.Send application permission (any mailbox), or one that Exchange
 * RBAC for Applications scopes to it (no role in the token). Then the mailbox must exist: a user without one is 404
 * `ErrorInvalidUser` "The requested user '…' is invalid." (as users report: microsoftgraph/microsoft-graph-docs#7580,
 * InnoGE/laravel-msgraph-mail#16).
 */
function authorizeSender(ctx: GraphContext): void {
  const mailbox = (ctx.params.id ?? '').toLowerCase();
  const app = ctx.control.app(ctx.token.appId);
  const scoped = (app?.mailSendScope ?? []).some((m) => m.toLowerCase() === mailbox);
  if (!ctx.token.roles.includes('Mail.Send') && !scoped) throw new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  const mailboxes = ctx.control.state.mailboxes;
  if (mailboxes !== undefined && !mailboxes.some((m) => m.toLowerCase() === mailbox)) {
    throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${ctx.params.id ?? ''}' is invalid.`);
  }
}

function sendMail(ctx: GraphContext): GraphResult | Promise<GraphResult> {
  authorizeSender(ctx);
  if (typeof ctx.body === 'string') return sendMimeMail(ctx, ctx.body);
  const body = ctx.body as { message?: { toRecipients?: unknown }; saveToSentItems?: unknown } | undefined;
  if (body?.message === undefined || typeof body.message !== 'object') {
    throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The request body must contain a message.');
  }
  if (!Array.isArray(body.message.toRecipients) || body.message.toRecipients.length === 0) {
    throw new GraphHttpError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
  }
  ctx.control.sentMail.push({
    at: ctx.control.clock.now(),
    userId: ctx.params.id ?? '',
    message: body.message,
    saveToSentItems: typeof body.saveToSentItems === 'boolean' ? body.saveToSentItems : undefined,
  });
  return { status: 202 };
}

export const directoryRoutes: readonly GraphRoute[] = [
  {
    method: 'GET',
    path: (segments) => {
      const match = segments.length === 1 ? SP_KEY.exec(segments[0] ?? '') : null;
      return match?.[1] === undefined ? undefined : { appId: match[1].replaceAll("''", "'") };
    },
    permissions: READ_APPLICATIONS,
    forbidden: DIRECTORY_FORBIDDEN,
    queryOptions: ['$select'],
    handle: spByAppId,
  },
  {
    method: 'GET',
    path: 'servicePrincipals',
    permissions: READ_APPLICATIONS,
    forbidden: DIRECTORY_FORBIDDEN,
    queryOptions: ['$select', '$filter'],
    handle: listSps,
  },
  ...configurationRoutes,
  {
    method: 'POST',
    path: 'users/{id}/sendMail',
    // Checked by the route (authorizeSender): Exchange RBAC for Applications grants it outside the token.
    permissions: [],
    forbidden: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
    handle: sendMail,
  },
];
