/** The product's ServiceNow client (Table API, Basic or OAuth client credentials) and its typed errors. */
export { ServiceNowClient, type ServiceNowAuth, type ServiceNowCallOptions, type ServiceNowClientOptions, type ServiceNowStateUpdate } from './client';
export {
  ServiceNowAuthError,
  ServiceNowError,
  ServiceNowForbiddenError,
  ServiceNowNotFoundError,
  ServiceNowPermanentError,
  ServiceNowRateLimitedError,
  ServiceNowTransientError,
  type ServiceNowErrorCode,
  type ServiceNowErrorKind,
} from './errors';
export { KNOWN_APPROVAL_STATES, type ServiceNowApproval, type ServiceNowApprovalState, type ServiceNowApprover, type ServiceNowTicket } from './responses';
