/**
 * The product's ServiceNow client: the Table API over Node's fetch, with Basic auth or OAuth client credentials.
 *
 * - Every value that reaches a URL is validated first (table names, sys_ids, ticket numbers), so nothing can change
 *   the path or inject `^`/`=` into an encoded query; refusals are `invalid_argument` errors, before any request.
 * - It never retries: the caller's queue does, from the error's `kind`. The one exception is OAuth: when the instance
 *   refuses a cached token (401), the token is dropped and the call is sent once more with a new one. A 401 means the
 *   call had no effect, so this cannot duplicate a write.
 * - The caller's AbortSignal (per call, and the client's own) and a timeout bound every request.
 * - Credentials live in private fields: they are in no message, log line or error.
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { SERVICENOW_NUMBER, SERVICENOW_SYS_ID, SERVICENOW_TABLE } from '../../domain/identifiers';
import { ServiceNowPermanentError } from './errors';
import { OAuthTokenSource } from './oauth';
import {
  APPROVAL_FIELDS,
  approvalRecordSchema,
  fieldsRecordSchema,
  listResult,
  singleResult,
  TICKET_FIELDS,
  ticketRecordSchema,
  toApproval,
  toTicket,
  type ServiceNowApproval,
  type ServiceNowTicket,
} from './responses';
import { exchange, failure, type HttpAnswer, type TransportSettings } from './transport';

export type ServiceNowAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

export interface ServiceNowClientOptions {
  /** The instance, e.g. https://contoso.service-now.com (a path prefix is kept, for a mounted sandbox). */
  readonly instanceUrl: string;
  readonly auth: ServiceNowAuth;
  /** Per request, body included; default 10 s. */
  readonly timeoutMs?: number;
  /** Aborts every call of this client (e.g. at shutdown); each call may pass its own signal too. */
  readonly signal?: AbortSignal;
  /** An undici dispatcher, e.g. an Agent that trusts an extra CA, or a proxy. */
  readonly dispatcher?: Dispatcher;
  /** Plain http is refused except on loopback hosts (the sandbox) unless this is true. */
  readonly allowInsecureHttp?: boolean;
}

export interface ServiceNowCallOptions {
  readonly signal?: AbortSignal;
}

export interface ServiceNowStateUpdate {
  /** The state value, e.g. 6 (Resolved) for an incident; requested item states come from configuration. */
  readonly state: string | number;
  readonly closeCode?: string;
  readonly closeNotes?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const STATE_VALUE = /^-?\d{1,4}$/;
/** A field, or one dot-walk through a reference field. */
const FIELD_NAME = /^[a-z][a-z0-9_]{0,79}(\.[a-z][a-z0-9_]{0,79})?$/;
const MAX_JOURNAL_CHARS = 16_000;
/** A journal write asks for the sys_id only. */
const ACK = singleResult(ticketRecordSchema.pick({ sys_id: true }));

function instanceOf(options: ServiceNowClientOptions): string {
  let url: URL;
  try {
    url = new URL(options.instanceUrl);
  } catch {
    throw new TypeError('The ServiceNow instanceUrl is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw new TypeError('The ServiceNow instanceUrl must not contain credentials');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('The ServiceNow instanceUrl must be an https URL');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname) && options.allowInsecureHttp !== true) throw new TypeError('The ServiceNow instanceUrl must be https (plain http only on loopback)');
  if (url.search !== '' || url.hash !== '') throw new TypeError('The ServiceNow instanceUrl must not have a query or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function invalid(message: string): ServiceNowPermanentError {
  return new ServiceNowPermanentError('invalid_argument', message);
}

/** Shows a refused value safely in a message: quoted, shortened. */
function shown(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 40));
}

function checkTable(table: string): string {
  if (typeof table !== 'string' || !SERVICENOW_TABLE.test(table)) throw invalid(`${shown(table)} is not a ServiceNow table name such as incident`);
  return table;
}

function checkSysId(sysId: string): string {
  if (typeof sysId !== 'string' || !SERVICENOW_SYS_ID.test(sysId)) throw invalid(`${shown(sysId)} is not a sys_id (32 lowercase hex characters)`);
  return sysId;
}

function checkNumber(number: string): string {
  if (typeof number !== 'string' || !SERVICENOW_NUMBER.test(number)) throw invalid(`${shown(number)} is not a ticket number such as INC0010001`);
  return number;
}

function checkJournalText(text: string): string {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('A work note or comment needs some text');
  if (text.length > MAX_JOURNAL_CHARS) throw invalid(`A work note or comment is at most ${MAX_JOURNAL_CHARS} characters`);
  return text;
}

function recordPath(table: string, sysId?: string): string {
  const base = `/api/now/table/${encodeURIComponent(checkTable(table))}`;
  return sysId === undefined ? base : `${base}/${encodeURIComponent(checkSysId(sysId))}`;
}

function readParams(fields: readonly string[], extra: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({ sysparm_fields: fields.join(','), sysparm_display_value: 'false', sysparm_exclude_reference_link: 'true', ...extra });
}

export class ServiceNowClient {
  readonly instanceUrl: string;
  readonly #transport: TransportSettings;
  readonly #basic: string | undefined;
  readonly #oauth: OAuthTokenSource | undefined;
  readonly #signal: AbortSignal | undefined;

  constructor(options: ServiceNowClientOptions) {
    this.instanceUrl = instanceOf(options);
    this.#transport = { timeoutMs: options.timeoutMs ?? 10_000, dispatcher: options.dispatcher };
    this.#signal = options.signal;
    const { auth } = options;
    if (auth.kind === 'basic') {
      if (auth.username === '' || auth.password === '' || auth.username.includes(':')) throw new TypeError('The ServiceNow username and password are required (no ":" in the username)');
      this.#basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    } else {
      if (auth.clientId === '' || auth.clientSecret === '') throw new TypeError('The ServiceNow OAuth client id and secret are required');
      this.#oauth = new OAuthTokenSource(`${this.instanceUrl}/oauth_token.do`, auth.clientId, auth.clientSecret, this.#transport);
    }
  }

  /** `GET /api/now/table/{table}/{sys_id}`: the ticket, or ServiceNowNotFoundError. */
  async getTicket(table: string, sysId: string, options?: ServiceNowCallOptions): Promise<ServiceNowTicket> {
    const path = recordPath(table, sysId);
    const body = await this.read(singleResult(ticketRecordSchema), 'GET', path, readParams(TICKET_FIELDS), undefined, `GET ${table} record`, options);
    return toTicket(table, body.result);
  }

  /** `GET /api/now/table/{table}?sysparm_query=number=…`: the ticket with that number, or undefined. */
  async findByNumber(table: string, number: string, options?: ServiceNowCallOptions): Promise<ServiceNowTicket | undefined> {
    const path = recordPath(table);
    const params = readParams(TICKET_FIELDS, { sysparm_query: `number=${checkNumber(number)}`, sysparm_limit: '1' });
    const body = await this.read(listResult(ticketRecordSchema), 'GET', path, params, undefined, `GET ${table} by number`, options);
    const first = body.result[0];
    return first === undefined ? undefined : toTicket(table, first);
  }

  /**
   * The ticket with that number, with the named fields (plain fields, or one dot-walk such as `caller_id.email`), as
   * strings; undefined when there is no such ticket. Field names are checked, so nothing reaches the query unescaped.
   */
  async findFieldsByNumber(table: string, number: string, fields: readonly string[], options?: ServiceNowCallOptions): Promise<Readonly<Record<string, string>> | undefined> {
    for (const f of fields) if (!FIELD_NAME.test(f)) throw invalid(`${shown(f)} is not a field name such as u_device_serial or caller_id.email`);
    const params = readParams(['sys_id', 'number', ...fields], { sysparm_query: `number=${checkNumber(number)}`, sysparm_limit: '1' });
    const body = await this.read(listResult(fieldsRecordSchema), 'GET', recordPath(table), params, undefined, `GET ${table} by number`, options);
    return body.result[0];
  }

  /** `GET /api/now/table/{table}/{sys_id}` with the named fields, as strings (ServiceNowNotFoundError when absent). */
  async getFields(table: string, sysId: string, fields: readonly string[], options?: ServiceNowCallOptions): Promise<Readonly<Record<string, string>>> {
    for (const f of fields) if (!FIELD_NAME.test(f)) throw invalid(`${shown(f)} is not a field name such as u_device_serial or caller_id.email`);
    const body = await this.read(singleResult(fieldsRecordSchema), 'GET', recordPath(table, sysId), readParams(['sys_id', ...fields]), undefined, `GET ${table} record`, options);
    return body.result;
  }

  /** The task's `sysapproval_approver` rows, each with the approver's user name and email. */
  async getApprovals(sysId: string, options?: ServiceNowCallOptions): Promise<ServiceNowApproval[]> {
    const params = readParams(APPROVAL_FIELDS, { sysparm_query: `sysapproval=${checkSysId(sysId)}`, sysparm_limit: '100' });
    const body = await this.read(listResult(approvalRecordSchema), 'GET', recordPath('sysapproval_approver'), params, undefined, 'GET sysapproval_approver by task', options);
    return body.result.map(toApproval);
  }

  /** Appends an internal work note (journal field `work_notes`). */
  async addWorkNote(table: string, sysId: string, text: string, options?: ServiceNowCallOptions): Promise<void> {
    await this.patch(ACK, table, sysId, { work_notes: checkJournalText(text) }, ['sys_id'], `PATCH ${table} work_notes`, options);
  }

  /** Appends a customer-visible comment (journal field `comments`). */
  async addComment(table: string, sysId: string, text: string, options?: ServiceNowCallOptions): Promise<void> {
    await this.patch(ACK, table, sysId, { comments: checkJournalText(text) }, ['sys_id'], `PATCH ${table} comments`, options);
  }

  /** Sets the state (with `close_code` and `close_notes` when given) and returns the updated ticket. */
  async updateState(table: string, sysId: string, update: ServiceNowStateUpdate, options?: ServiceNowCallOptions): Promise<ServiceNowTicket> {
    const state = String(update.state);
    if (!STATE_VALUE.test(state)) throw invalid(`${shown(state)} is not a state value such as 6`);
    const body: Record<string, string> = { state };
    if (update.closeCode !== undefined) body.close_code = update.closeCode;
    if (update.closeNotes !== undefined) body.close_notes = update.closeNotes;
    const answer = await this.patch(singleResult(ticketRecordSchema), table, sysId, body, TICKET_FIELDS, `PATCH ${table} state`, options);
    return toTicket(table, answer.result);
  }

  private async patch<S extends z.ZodType>(schema: S, table: string, sysId: string, body: Record<string, string>, fields: readonly string[], op: string, options: ServiceNowCallOptions | undefined): Promise<z.output<S>> {
    return this.read(schema, 'PATCH', recordPath(table, sysId), readParams(fields), body, op, options);
  }

  private async read<S extends z.ZodType>(schema: S, method: 'GET' | 'PATCH', path: string, params: URLSearchParams, body: unknown, op: string, options: ServiceNowCallOptions | undefined): Promise<z.output<S>> {
    const answer = await this.call(method, `${path}?${params.toString()}`, body, op, options?.signal);
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success) throw new ServiceNowPermanentError('invalid_response', `ServiceNow's answer to ${op} does not have the expected shape: check the instance URL`);
    return parsed.data;
  }

  private async call(method: 'GET' | 'PATCH', pathAndQuery: string, body: unknown, op: string, callSignal: AbortSignal | undefined): Promise<HttpAnswer> {
    const signals = [this.#signal, callSignal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const send = async (authorization: string): Promise<HttpAnswer> =>
      exchange(this.#transport, {
        method,
        url: `${this.instanceUrl}${pathAndQuery}`,
        headers: {
          authorization,
          accept: 'application/json',
          'user-agent': 'resetpc-servicenow-client',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
        op,
      });
    let answer: HttpAnswer;
    if (this.#oauth === undefined) {
      answer = await send(this.#basic ?? '');
    } else {
      const token = await this.#oauth.token(signal);
      answer = await send(`Bearer ${token}`);
      if (answer.status === 401) {
        this.#oauth.invalidate(token);
        answer = await send(`Bearer ${await this.#oauth.token(signal)}`);
      }
    }
    if (answer.status < 200 || answer.status >= 300) throw failure(answer, op);
    return answer;
  }
}
