/**
 * The ServiceNow sandbox's in-process control: seed tickets, users and approvals, decide approvals, inject faults and
 * rate limits, and read everything the instance received (Table API calls, writes, token requests, webhooks sent).
 */
import type { SandboxClock } from '../clock';
import { TrackedFaultInjector } from '../control';
import type { FaultRuleInput } from '../faults';
import type { ServiceNowAuth, TokenRequestRecord } from './auth';
import { findTask, type ApprovalState, type JournalEntry, type ServiceNowState, type SnRecord, type TableName } from './model';
import {
  addApproval,
  addIncident,
  addRequestedItem,
  addUser,
  decideApproval,
  findTaskByKey,
  type ApprovalSeed,
  type TicketSeed,
  type UserSeed,
} from './seed';
import { sendIncidentWebhook, webhookTicketFrom, type WebhookDelivery, type WebhookTarget } from './webhook-sender';

/** One request the Table API received. Never holds headers, credentials or tokens. */
export interface ServiceNowCallRecord {
  readonly at: number;
  readonly method: string;
  /** The decoded path without the mount prefix, e.g. /api/now/table/incident/<sys_id>. */
  readonly path: string;
  /** The raw query string without '?'. */
  readonly query: string;
  /** The signed-in user, once authenticated. */
  user?: string;
  /** The status sent, or what happened to the connection instead. */
  status: number | 'reset' | 'lostResponse' | 'pending';
}

/** A write (PATCH, PUT, POST, DELETE) with its parsed JSON body. */
export interface ServiceNowWriteRecord extends ServiceNowCallRecord {
  readonly body: unknown;
}

/** ServiceNow's inbound REST rate limit rules count requests per user in a window (an hour on real instances). */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
  /** The rule's sys_id in sys_rate_limit_rules, sent as X-RateLimit-Rule; a fixed one by default. */
  readonly sysId?: string;
}

const DEFAULT_RULE_SYS_ID = '2f3a5b7c9d1e4f60a1b2c3d4e5f60718';

export class ServiceNowControl {
  readonly faults: TrackedFaultInjector;
  readonly calls: ServiceNowCallRecord[] = [];
  readonly writes: ServiceNowWriteRecord[] = [];
  readonly webhooksSent: WebhookDelivery[] = [];
  private rateLimitRule: RateLimitRule | undefined;
  private readonly admitted = new Map<string, number[]>();

  constructor(
    readonly state: ServiceNowState,
    readonly clock: SandboxClock,
    private readonly auth: ServiceNowAuth,
    random?: () => number,
  ) {
    this.faults = new TrackedFaultInjector(random);
  }

  // --- seeding -------------------------------------------------------------------------------------------------

  addUser(seed: UserSeed): SnRecord {
    return addUser(this.state, seed, this.clock.now());
  }

  addIncident(seed: TicketSeed = {}): SnRecord {
    return addIncident(this.state, seed, this.clock.now());
  }

  addRequestedItem(seed: TicketSeed = {}): SnRecord {
    return addRequestedItem(this.state, seed, this.clock.now());
  }

  addApproval(seed: ApprovalSeed): SnRecord {
    return addApproval(this.state, seed, this.clock.now());
  }

  /** The approver's decision on one approval row (approved, rejected, …). */
  setApprovalDecision(approvalSysId: string, decision: ApprovalState): SnRecord {
    return decideApproval(this.state, approvalSysId, decision, this.clock.now());
  }

  // --- faults and limits -----------------------------------------------------------------------------------------

  /** Paths are the decoded paths without a mount prefix, e.g. `/api/now/table/incident/*`. */
  injectFault(rule: FaultRuleInput): number {
    return this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Sets (or with undefined removes) a per-user rate limit on the Table API. */
  setRateLimit(rule: RateLimitRule | undefined): void {
    this.rateLimitRule = rule;
    this.admitted.clear();
  }

  /** Counts one request of `user`, or says how long until the window has room. */
  admit(user: string): { ok: true } | { ok: false; retryAfterSeconds: number; limit: number; resetAt: number; rule: string } {
    const rule = this.rateLimitRule;
    if (rule === undefined) return { ok: true };
    const now = this.clock.now();
    const times = (this.admitted.get(user) ?? []).filter((t) => t > now - rule.windowMs);
    this.admitted.set(user, times);
    const oldest = times[0];
    if (times.length >= rule.limit && oldest !== undefined) {
      const resetAt = oldest + rule.windowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)), limit: rule.limit, resetAt, rule: rule.sysId ?? DEFAULT_RULE_SYS_ID };
    }
    times.push(now);
    return { ok: true };
  }

  /** Every OAuth access token issued so far stops working. */
  expireTokens(): void {
    this.auth.expireAllTokens();
  }

  // --- reading -----------------------------------------------------------------------------------------------------

  record(table: TableName, sysId: string): SnRecord | undefined {
    return this.state.tables[table][sysId];
  }

  /** A task (incident or requested item) by sys_id or number. */
  task(key: string): { table: TableName; record: SnRecord } | undefined {
    return findTaskByKey(this.state, key);
  }

  /** The journal entries of one record, oldest first; optionally of one field only. */
  journal(sysId: string, field?: 'work_notes' | 'comments'): JournalEntry[] {
    return this.state.journal.filter((e) => e.sysId === sysId && (field === undefined || e.field === field));
  }

  get tokenRequests(): readonly TokenRequestRecord[] {
    return this.auth.tokenRequests;
  }

  /** Forgets calls, writes, token requests, webhooks sent and the rate-limit window; keeps data and faults. */
  clearRecords(): void {
    this.calls.length = 0;
    this.writes.length = 0;
    this.webhooksSent.length = 0;
    this.auth.tokenRequests.length = 0;
    this.admitted.clear();
  }

  // --- outbound ----------------------------------------------------------------------------------------------------

  /**
   * Sends the signed webhook the documented Business Rule would send for this task (by sys_id or number), and records
   * the answer. The device comes from `u_device_serial` (incident) or `deviceSerial` (an item's catalog variable).
   */
  async sendWebhook(taskKey: string, target: WebhookTarget & { event?: 'created' | 'updated'; deviceSerial?: string }): Promise<WebhookDelivery> {
    const task = findTaskByKey(this.state, taskKey) ?? findTask(this.state, taskKey);
    if (task === undefined) throw new Error(`no task ${taskKey} in the ServiceNow sandbox`);
    const ticket = webhookTicketFrom(this.state, task.table, task.record, target);
    const delivery = await sendIncidentWebhook(ticket, target);
    this.webhooksSent.push(delivery);
    return delivery;
  }
}
