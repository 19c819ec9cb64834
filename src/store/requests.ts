import type { Redis } from 'ioredis';
import {
  REQUEST_STATES,
  type RequestState,
  type ResetRequest,
  type TicketRef,
  type TimelineEntry,
} from '../domain/request';
import type { WorkflowData } from '../domain/workflow';
import type { ListFilter } from '../app/ports';
import { StoredDataError, storeCall } from './errors';
import { storeKeys, type StoreKeys } from './keys';
import { linkedTicketFormat, requestFormat, timelineFormat, workflowFormat, type StoredCore } from './records';
import { acceptRequest, commitRequest, linkTicket, releaseLocks, reserveLocks } from './scripts';

const DAY_MS = 86_400_000;
/** How long a reservation holds a lock before the request is committed. */
const RESERVATION_TTL_MS = 30_000;

export type Reservation = { readonly ok: true } | { readonly ok: false; readonly conflict: 'ticket' | 'device'; readonly holderId: string };

/** What the accept script did: stored the request, found no job to store it with, or found a lock held by another request. */
export type Acceptance =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'no_job' }
  | { readonly kind: 'busy'; readonly conflict: 'ticket' | 'device'; readonly holderId: string };

export interface StoredRequest {
  readonly request: ResetRequest;
  readonly timeline: readonly TimelineEntry[];
  readonly workflow: WorkflowData;
}

/** A request and its workflow data without the timeline: what the worker reads on every step. */
export type CurrentRequest = Omit<StoredRequest, 'timeline'>;


export interface ListPage {
  readonly items: readonly ResetRequest[];
  readonly nextCursor: string | null;
}

function isRequestState(value: string | undefined): value is RequestState {
  return value !== undefined && (REQUEST_STATES as readonly string[]).includes(value);
}

function encodeCursor(score: number, id: string): string {
  return Buffer.from(`${score}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { score: Number(match[1]), id: match[2] };
}

/**
 * Request records, timelines, indexes, locks and the audit stream, in Redis.
 * Every method turns a Redis failure into StoreUnavailableError.
 */
export class RequestStore {
  readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly auditRetentionDays = 90,
  ) {
    this.keys = storeKeys(prefix);
  }

  /** The audit stream keeps `auditRetentionDays` of entries: older ones are trimmed as new ones are added. */
  auditMinId(now = Date.now()): string {
    return `${Math.max(0, now - this.auditRetentionDays * DAY_MS)}-0`;
  }

  lockKeysFor(request: Pick<ResetRequest, 'device' | 'ticket'>): { ticket?: string; device: string } {
    const device = this.keys.deviceLock(request.device);
    return request.ticket === undefined ? { device } : { ticket: this.keys.ticketLock(request.ticket), device };
  }

  /** Takes the request's ticket and device locks for a short while, or names the active request holding one. */
  async reserve(id: string, request: Pick<ResetRequest, 'device' | 'ticket'>): Promise<Reservation> {
    const locks = this.lockKeysFor(request);
    const keys = locks.ticket === undefined ? [locks.device] : [locks.ticket, locks.device];
    const kinds: ('ticket' | 'device')[] = locks.ticket === undefined ? ['device'] : ['ticket', 'device'];
    const [index, holder] = await storeCall(() => reserveLocks.run(this.redis, keys, [id, RESERVATION_TTL_MS, this.keys.request('')]));
    if (index === 0) return { ok: true };
    return { ok: false, conflict: kinds[index - 1] ?? 'device', holderId: holder };
  }

  /** Takes the request's ticket and device locks again, for good (a retry), or names the active request holding one. */
  async relock(id: string, request: Pick<ResetRequest, 'device' | 'ticket'>): Promise<Reservation> {
    const locks = this.lockKeysFor(request);
    const keys = locks.ticket === undefined ? [locks.device] : [locks.ticket, locks.device];
    const kinds: ('ticket' | 'device')[] = locks.ticket === undefined ? ['device'] : ['ticket', 'device'];
    const [index, holder] = await storeCall(() => reserveLocks.run(this.redis, keys, [id, 0, this.keys.request('')]));
    if (index === 0) return { ok: true };
    return { ok: false, conflict: kinds[index - 1] ?? 'device', holderId: holder };
  }

  async release(id: string, request: Pick<ResetRequest, 'device' | 'ticket'>): Promise<void> {
    const locks = Object.values(this.lockKeysFor(request));
    await storeCall(() => releaseLocks.run(this.redis, locks, [id]));
  }

  /** Stores a new request atomically. Returns false when its reservation expired before the commit. */
  async commit(request: ResetRequest, first: TimelineEntry): Promise<boolean> {
    const { locks, indexes, record, entry } = this.recordParts(request, first);
    const keys = [this.keys.request(request.id), this.keys.timeline(request.id), this.keys.audit, ...locks, ...indexes];
    const result = await storeCall(() =>
      commitRequest.run(this.redis, keys, [request.id, record, request.state, Date.parse(request.createdAt), request.updatedAt, entry, this.auditMinId(), locks.length]),
    );
    return result === 1;
  }

  /**
   * Stores a new request with its reset job, whose hash is `jobKey`: only if that job is there (queued just before on
   * this connection) and the ticket and device locks are free (scripts.ts, ACCEPT_REQUEST). The command is sent when
   * this is called, before it returns its promise, so a command issued just before it on the connection runs first.
   * A Redis failure is a StoreUnavailableError whose cause is the client's error.
   */
  async accept(request: ResetRequest, first: TimelineEntry, jobKey: string): Promise<Acceptance> {
    const { locks, indexes, record, entry } = this.recordParts(request, first);
    const keys = [jobKey, this.keys.request(request.id), this.keys.timeline(request.id), this.keys.audit, ...locks, ...indexes];
    const [index, holder] = await storeCall(() =>
      acceptRequest.run(this.redis, keys, [request.id, record, request.state, Date.parse(request.createdAt), request.updatedAt, entry, this.auditMinId(), locks.length, this.keys.request('')]),
    );
    if (index === 0) return { kind: 'accepted' };
    if (index < 0) return { kind: 'no_job' };
    const kinds: readonly ('ticket' | 'device')[] = request.ticket === undefined ? ['device'] : ['ticket', 'device'];
    return { kind: 'busy', conflict: kinds[index - 1] ?? 'device', holderId: holder };
  }

  /** The lock keys (ticket first), index keys and encoded record and entry of a new request. */
  private recordParts(request: ResetRequest, first: TimelineEntry): { locks: string[]; indexes: string[]; record: string; entry: string } {
    const locks = Object.values(this.lockKeysFor(request));
    const indexes = [this.keys.byCreated, this.keys.byState(request.state), this.keys.byDevice(request.device.value)];
    if (request.ticket !== undefined) indexes.push(this.keys.byTicket(request.ticket.key));
    indexes.push(this.keys.byRequester(request.requestedBy));
    const core: StoredCore = {
      id: request.id,
      device: request.device,
      requestedBy: request.requestedBy,
      ...(request.requesterAccount === undefined ? {} : { requesterAccount: request.requesterAccount }),
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
      source: request.source,
      submittedBy: request.submittedBy,
      createdAt: request.createdAt,
    };
    return { locks, indexes, record: requestFormat.encode(core), entry: timelineFormat.encode(first) };
  }

  /** Records another ticket on an active request. Returns 'linked', 'already_linked' or 'gone'. */
  async linkTicket(id: string, ticket: TicketRef, entry: TimelineEntry): Promise<'linked' | 'already_linked' | 'gone'> {
    const keys = [this.keys.request(id), this.keys.links(id), this.keys.timeline(id), this.keys.byTicket(ticket.key), this.keys.audit];
    const result = await storeCall(() =>
      linkTicket.run(this.redis, keys, [id, linkedTicketFormat.encode(ticket), timelineFormat.encode(entry), Date.parse(entry.at), this.auditMinId()]),
    );
    return result === 1 ? 'linked' : result === 2 ? 'already_linked' : 'gone';
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    const [hash, timeline, links] = await storeCall(async () => {
      const results = await this.redis
        .multi()
        .hgetall(this.keys.request(id))
        .lrange(this.keys.timeline(id), 0, -1)
        .lrange(this.keys.links(id), 0, -1)
        .exec();
      if (results === null) throw new Error('transaction aborted');
      return results.map(([err, value]) => {
        if (err !== null) throw err;
        return value;
      }) as [Record<string, string>, string[], string[]];
    });
    const request = this.decode(id, hash, links);
    if (request === undefined) return undefined;
    return { request, timeline: timeline.map((t) => timelineFormat.decode(t, this.keys.timeline(id))), workflow: this.decodeWorkflow(id, hash) };
  }

  /** The request and its workflow data, without reading the timeline (which grows with every step). */
  async getCurrent(id: string): Promise<CurrentRequest | undefined> {
    // Two plain reads, not a MULTI: the connection auto-pipelines them with the other commands of the tick.
    const [hash, links] = await storeCall(() => Promise.all([this.redis.hgetall(this.keys.request(id)), this.redis.lrange(this.keys.links(id), 0, -1)]));
    const request = this.decode(id, hash, links);
    return request === undefined ? undefined : { request, workflow: this.decodeWorkflow(id, hash) };
  }

  /** Whether `cursor` is a `nextCursor` that `list` wrote. */
  isCursor(cursor: string): boolean {
    return decodeCursor(cursor) !== undefined;
  }

  /**
   * Lists requests, newest first, by the most selective index among the filters, and checks the others per record.
   * The cursor is opaque to callers (the score and id of the last item returned, encoded): a page's `nextCursor`, as
   * written. A cursor that `isCursor` refuses is a caller's bug, thrown as a RangeError.
   */
  async list(filter: ListFilter, limit: number, after?: string): Promise<ListPage> {
    const cursor = after === undefined ? undefined : decodeCursor(after);
    if (after !== undefined && cursor === undefined) throw new RangeError('not a cursor from this store; check it with isCursor first');
    const index =
      filter.ticket !== undefined
        ? this.keys.byTicket(filter.ticket)
        : filter.device !== undefined
          ? this.keys.byDevice(filter.device)
          : filter.requester !== undefined
            ? this.keys.byRequester(filter.requester)
            : filter.state !== undefined
              ? this.keys.byState(filter.state)
              : this.keys.byCreated;
    const items: ResetRequest[] = [];
    const min = filter.createdFrom === undefined ? '-inf' : String(filter.createdFrom);
    const upper = filter.createdTo === undefined ? Infinity : filter.createdTo;
    let max = cursor === undefined ? (upper === Infinity ? '+inf' : String(upper)) : String(Math.min(cursor.score, upper));
    let last: { score: number; id: string } | undefined = cursor;
    const batch = Math.max(limit * 2, 50);
    for (let round = 0; round < 20 && items.length < limit; round++) {
      const raw = await storeCall(() => this.redis.zrevrangebyscore(index, max, min, 'WITHSCORES', 'LIMIT', 0, batch));
      if (raw.length === 0) return { items, nextCursor: null };
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) entries.push({ id: raw[i] ?? '', score: Number(raw[i + 1]) });
      const fresh = entries.filter((e) => last === undefined || e.score < last.score || (e.score === last.score && e.id < last.id));
      const records = await this.getMany(fresh.map((e) => e.id));
      for (const [i, entry] of fresh.entries()) {
        last = entry;
        const record = records[i];
        if (record !== undefined && this.matches(record, filter)) items.push(record);
        if (items.length === limit) return { items, nextCursor: encodeCursor(entry.score, entry.id) };
      }
      if (entries.length < batch) return { items, nextCursor: null };
      max = String(last?.score ?? max);
    }
    return { items, nextCursor: last === undefined ? null : encodeCursor(last.score, last.id) };
  }

  private async getMany(ids: readonly string[]): Promise<(ResetRequest | undefined)[]> {
    if (ids.length === 0) return [];
    const results = await storeCall(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys.request(id)).lrange(this.keys.links(id), 0, -1);
      const out = await pipeline.exec();
      if (out === null) throw new Error('pipeline aborted');
      return out.map(([err, value]) => {
        if (err !== null) throw err;
        return value;
      });
    });
    return ids.map((id, i) => this.decode(id, results[2 * i] as Record<string, string>, results[2 * i + 1] as string[]));
  }

  private matches(request: ResetRequest, filter: ListFilter): boolean {
    if (filter.state !== undefined && request.state !== filter.state) return false;
    if (filter.device !== undefined && request.device.value.toLowerCase() !== filter.device.trim().toLowerCase()) return false;
    if (filter.requester !== undefined && request.requestedBy.toLowerCase() !== filter.requester.trim().toLowerCase()) return false;
    if (filter.ticket !== undefined) {
      const wanted = filter.ticket.trim().toUpperCase();
      const tickets = [request.ticket, ...request.linkedTickets].filter((t) => t !== undefined);
      if (!tickets.some((t) => t.key.toUpperCase() === wanted)) return false;
    }
    return true;
  }

  /**
   * The request in a request hash and its links list, or undefined when it was never stored. Each part is read with the
   * format it was written with: a record of another version, or of the wrong shape, is a StoredDataError.
   */
  private decode(id: string, hash: Record<string, string>, links: readonly string[]): ResetRequest | undefined {
    const json = hash.json;
    if (json === undefined) return undefined;
    const key = this.keys.request(id);
    const core = requestFormat.decode(json, key);
    const state = hash.state;
    if (!isRequestState(state)) throw new StoredDataError('request', key, requestFormat.version, 'invalid', `state: ${String(state)} is not a state`);
    return {
      ...core,
      state,
      updatedAt: hash.updatedAt ?? core.createdAt,
      linkedTickets: links.map((l) => linkedTicketFormat.decode(l, this.keys.links(id))),
    };
  }

  private decodeWorkflow(id: string, hash: Record<string, string>): WorkflowData {
    return hash.workflow === undefined ? {} : workflowFormat.decode(hash.workflow, this.keys.request(id));
  }
}
