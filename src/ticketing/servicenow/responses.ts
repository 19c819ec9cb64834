/**
 * The shapes the client reads from the Table API (with `sysparm_display_value=false` and
 * `sysparm_exclude_reference_link=true`, so every value is a plain string), and what it hands to the product.
 */
import { z } from 'zod';

/** The fields the client asks for on a ticket. `close_code` exists on incident only; the others on every task. */
export const TICKET_FIELDS = ['sys_id', 'number', 'state', 'short_description', 'close_code', 'close_notes', 'approval', 'sys_updated_on'] as const;

/** The fields asked for on an approval row; the approver's identity is dot-walked in the same call. */
export const APPROVAL_FIELDS = ['sys_id', 'state', 'sys_updated_on', 'approver', 'approver.user_name', 'approver.email', 'approver.name'] as const;

const text = z.string();

export const ticketRecordSchema = z.looseObject({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/),
  number: text,
  state: text,
  short_description: text.optional(),
  close_code: text.optional(),
  close_notes: text.optional(),
  approval: text.optional(),
  sys_updated_on: text.optional(),
});

/** Any record read with named fields: every value a string (an empty reference reads as ''). */
export const fieldsRecordSchema = z.record(z.string(), z.string());

export const approvalRecordSchema = z.looseObject({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/),
  state: text,
  sys_updated_on: text.optional(),
  approver: text,
  'approver.user_name': text.optional(),
  'approver.email': text.optional(),
  'approver.name': text.optional(),
});

export const singleResult = <S extends z.ZodType>(schema: S) => z.object({ result: schema });
export const listResult = <S extends z.ZodType>(schema: S) => z.object({ result: z.array(schema) });

export interface ServiceNowTicket {
  readonly table: string;
  readonly sysId: string;
  readonly number: string;
  /** The state value (a number as a string, e.g. "6"); its meaning depends on the table and the instance. */
  readonly state: string;
  readonly shortDescription: string;
  /** Incident only. */
  readonly closeCode?: string;
  readonly closeNotes: string;
  /** The task's approval summary: "not requested", "requested", "approved", "rejected". */
  readonly approval: string;
  /** `YYYY-MM-DD HH:mm:ss` in UTC. */
  readonly updatedOn: string;
}

export const KNOWN_APPROVAL_STATES = ['requested', 'approved', 'rejected', 'cancelled', 'not_required', 'not_yet_requested'] as const;
export type ServiceNowApprovalState = (typeof KNOWN_APPROVAL_STATES)[number] | 'unknown';

export interface ServiceNowApprover {
  /** The sys_user sys_id. */
  readonly sysId: string;
  readonly userName: string;
  readonly email: string;
  readonly name: string;
}

export interface ServiceNowApproval {
  readonly sysId: string;
  readonly approver: ServiceNowApprover;
  /** 'unknown' for a state this client does not know (instances may add some); `rawState` has the value. */
  readonly state: ServiceNowApprovalState;
  readonly rawState: string;
  readonly updatedOn: string;
}

export function toTicket(table: string, r: z.output<typeof ticketRecordSchema>): ServiceNowTicket {
  return {
    table,
    sysId: r.sys_id,
    number: r.number,
    state: r.state,
    shortDescription: r.short_description ?? '',
    ...(r.close_code === undefined ? {} : { closeCode: r.close_code }),
    closeNotes: r.close_notes ?? '',
    approval: r.approval ?? '',
    updatedOn: r.sys_updated_on ?? '',
  };
}

export function toApproval(r: z.output<typeof approvalRecordSchema>): ServiceNowApproval {
  const known = (KNOWN_APPROVAL_STATES as readonly string[]).includes(r.state);
  return {
    sysId: r.sys_id,
    approver: { sysId: r.approver, userName: r['approver.user_name'] ?? '', email: r['approver.email'] ?? '', name: r['approver.name'] ?? '' },
    state: known ? (r.state as ServiceNowApprovalState) : 'unknown',
    rawState: r.state,
    updatedOn: r.sys_updated_on ?? '',
  };
}
