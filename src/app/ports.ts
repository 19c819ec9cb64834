/**
 * What the application layer needs from the world, as narrow interfaces. The adapters live elsewhere: the Redis
 * stores in src/store (RequestStore, WorkflowStore, IdempotencyStore, TenantControlStore, the request acceptance, the
 * tenant action log), the BullMQ scheduler in src/queue/scheduler.ts, the ticket reader in src/ticketing. The layer
 * imports their data types
 * only, never ioredis, BullMQ or Fastify: a use case can be driven by any edge (API, dashboard, webhook) and reads
 * the same whichever one calls it.
 */
import type { RequestState, ResetRequest, TicketRef, TimelineEntry, TimelineEvent } from '../domain/request';
import type { WorkflowData } from '../domain/workflow';
import type { Claim, StoredResponse } from '../store/idempotency';
import type { CurrentRequest, ListPage, Reservation, StoredRequest } from '../store/requests';
import type { TenantControlSettings } from '../store/tenant-controls';
import type { JobPayload } from '../queue/catalog';
import type { TransitionNote } from '../store/workflow-store';

/** Which requests a list holds; every filter given must match. */
export interface ListFilter {
  readonly state?: RequestState;
  /** A ticket key: the request's own ticket or a linked one. */
  readonly ticket?: string;
  /** Any device identifier, as given in the request. */
  readonly device?: string;
  /** The requester (requestedBy), compared case-insensitively. Indexed for requests stored since the index exists. */
  readonly requester?: string;
  /** Created at or after this time (epoch ms). */
  readonly createdFrom?: number;
  /** Created at or before this time (epoch ms). */
  readonly createdTo?: number;
}

/** Requests: their records, timelines, indexes and the ticket and device locks. */
export interface RequestRepository {
  relock(id: string, request: Pick<ResetRequest, 'device' | 'ticket'>): Promise<Reservation>;
  release(id: string, request: Pick<ResetRequest, 'device' | 'ticket'>): Promise<void>;
  linkTicket(id: string, ticket: TicketRef, entry: TimelineEntry): Promise<'linked' | 'already_linked' | 'gone'>;
  get(id: string): Promise<StoredRequest | undefined>;
  getCurrent(id: string): Promise<CurrentRequest | undefined>;
  /** The first page, newest first. */
  list(filter: ListFilter, limit: number): Promise<ListPage>;
}

/**
 * Reading requests for the edges (src/app/request-queries.ts): one with its timeline, and pages of them. A page's
 * `nextCursor` is opaque: the port writes it, and only the port reads it back.
 */
export interface RequestReader {
  get(id: string): Promise<StoredRequest | undefined>;
  /** Whether `cursor` is a `nextCursor` this port wrote. */
  isCursor(cursor: string): boolean;
  /** Newest first; after `cursor`, a page's `nextCursor`, when given (one `isCursor` refuses is a caller's bug). */
  list(filter: ListFilter, limit: number, cursor?: string): Promise<ListPage>;
}

/** What Redis answered when a request and its reset job were written together (RequestAcceptance). */
export type AcceptAnswer =
  | { readonly kind: 'accepted' }
  /** Another active request holds the ticket or the device: the request was not stored, but its job was queued. */
  | { readonly kind: 'busy'; readonly conflict: 'ticket' | 'device'; readonly holderId: string }
  /** Redis answered, and the request was not stored: the job could not be queued, or the write was refused. */
  | { readonly kind: 'not_stored'; readonly jobMayExist: boolean; readonly cause: unknown }
  /** Redis did not answer (a timeout, a lost connection): the request may or may not have been stored. */
  | { readonly kind: 'unanswered'; readonly cause: unknown };

/**
 * The port that writes a new request (src/store/acceptance.ts): it queues the request's `reset` job (job id = request
 * id) and, in the same round trip and after it, stores the request only if that job is there and the ticket and device
 * locks are free: the locks for good, the record, its first timeline entry, its indexes and an audit entry, at once.
 */
export interface RequestAcceptance {
  accept(request: ResetRequest, first: TimelineEntry): Promise<AcceptAnswer>;
}

/** Which webhook deliveries were seen, per sender, each mark for its own time (src/store/replay.ts). */
export interface ReplayRecords {
  /** True the first time a delivery id is seen within `ttlSeconds`; false for every repeat. */
  firstSeen(source: 'jira' | 'servicenow', deliveryId: string, ttlSeconds: number): Promise<boolean>;
  /** True only when none of a delivery's marks was seen before; all of them are remembered. */
  firstSeenAll(source: 'jira' | 'servicenow', marks: readonly { readonly id: string; readonly ttlSeconds: number }[]): Promise<boolean>;
  /** Gives a delivery's marks back, so that the sender's retry is processed. */
  forget(source: 'jira' | 'servicenow', ...deliveryIds: string[]): Promise<void>;
}

/** A request's conditional writes: each applies only if the request is still in the state the caller saw. */
export interface WorkflowRepository {
  load(id: string): Promise<CurrentRequest | undefined>;
  transition(request: ResetRequest, to: RequestState, note: TransitionNote, workflow?: WorkflowData): Promise<boolean>;
  recordEvent(request: ResetRequest, event: TimelineEvent, note: TransitionNote, workflow?: WorkflowData): Promise<boolean>;
}

/** Idempotency-Key records, per caller. */
export interface IdempotencyRecords {
  claim(caller: string, idempotencyKey: string, body: unknown, requestId?: string): Promise<Claim>;
  complete(caller: string, idempotencyKey: string, body: unknown, response: StoredResponse): Promise<void>;
  takeOver(caller: string, idempotencyKey: string, body: unknown, requestId: string): Promise<void>;
  abandon(caller: string, idempotencyKey: string): Promise<void>;
}

export type NotifyChannel = JobPayload<'notify'>['channel'];
export type NotifyEvent = JobPayload<'notify'>['event'];

/** The job queues, as the use cases see them: run a request's workflow, wake it, and queue its notifications. */
export interface JobScheduler {
  /** Queues the request's workflow job (job id = request id). */
  scheduleReset(requestId: string): Promise<void>;
  /**
   * Removes it: a failed submission's, or a finished request's before a retry queues a new one. True when it is gone
   * (or was never there); false when it is running, and was left.
   */
  removeReset(requestId: string): Promise<boolean>;
  /** Runs a waiting reset job now (best effort): something it waits for may have changed. */
  wake(requestId: string): Promise<void>;
  /** One notification job per channel for an event (the ticket channel only when the request has a ticket). */
  notifyEvent(request: Pick<ResetRequest, 'id' | 'ticket'>, event: NotifyEvent, channels?: readonly NotifyChannel[]): Promise<void>;
  /** The note to a ticket linked to an active request. */
  notifyLinkedTicket(requestId: string, ticket: Pick<TicketRef, 'system' | 'key'>): Promise<void>;
}

/** A tenant's controls: a pause, and the blast-radius limit of reset POSTs per rolling hour. */
export interface TenantControlRecords {
  settings(tenantId: string): Promise<TenantControlSettings>;
  pause(tenantId: string, by: string, reason?: string): Promise<void>;
  resume(tenantId: string): Promise<void>;
  setLimit(tenantId: string, perHour: number): Promise<void>;
}

/** The tenants the product reports on, and the log of what operators did to them. */
export interface TenantRecords {
  remember(tenantId: string): Promise<void>;
}

/** A tenant action: the record of a change to a tenant control. It has no request timeline, so it is kept in the tenant action log. */
export interface TenantAction {
  readonly at: string;
  readonly by: string;
  readonly tenantId: string;
  readonly action: 'paused' | 'resumed' | 'set the blast-radius limit of' | 'added';
  readonly detail?: string;
}

export interface TenantActionRecords {
  record(action: Omit<TenantAction, 'at'>): Promise<void>;
}
