/** The simulated ServiceNow instance: Table API, OAuth token endpoint, faults, and the Business Rule's signed webhook. */
export type { TokenRequestRecord as ServiceNowTokenRequestRecord } from './auth';
export { ServiceNowControl, type RateLimitRule, type ServiceNowCallRecord, type ServiceNowWriteRecord } from './control';
export { SN_FIXTURE } from './fixtures';
export {
  APPROVAL_STATES,
  DEFAULT_INCIDENT_STATES,
  DEFAULT_REQ_ITEM_STATES,
  type ApprovalState,
  type JournalEntry,
  type ServiceNowState,
  type SnRecord,
  type TableName,
} from './model';
export type { ApprovalSeed, TicketSeed, UserSeed } from './seed';
export { startServiceNowSim, type RunningServiceNowSim } from './server';
export { createServiceNowSim, type ServiceNowSim, type ServiceNowSimOptions } from './sim';
export {
  asciiJson,
  sendIncidentWebhook,
  signWebhook,
  webhookBody,
  webhookTicketFrom,
  type WebhookDelivery,
  type WebhookDevice,
  type WebhookTarget,
  type WebhookTicket,
} from './webhook-sender';
