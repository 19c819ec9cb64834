/** The sandbox: a simulated Entra ID and Microsoft Graph (Intune) over HTTPS, for tests, demos and benchmarks. */
export { SANDBOX_CANARY_PASSCODE_PREFIX, actionStateAt, type StoredAction } from './actions';
export { ManualClock, systemClock, type SandboxClock } from './clock';
export { SandboxControl, type GraphCallRecord, type SentMailRecord, type TokenRequestRecord } from './control';
export type { Fault, FaultRuleInput } from './faults';
export * from './fixtures';
export { FIXTURE_CONFIGURATIONS } from './fixtures-config';
export { startSandbox, type Sandbox, type SandboxOptions, type SandboxUrls } from './server';
export type * from './tenant';
export { DEFAULT_ACTION_SCRIPT } from './tenant';
export { INTUNE_THROTTLE_LIMITS, type ThrottleLimits } from './throttle';
