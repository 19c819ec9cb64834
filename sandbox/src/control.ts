/**
 * The sandbox's in-process control API: seed the tenant, script action outcomes, inject faults, set throttle limits,
 * and read everything the sandbox received. The HTTP control API (later) is a thin layer over this class.
 */
import { newResetPasscodeAction, type StoredAction } from './actions';
import type { SandboxClock } from './clock';
import { FaultInjector, type FaultRuleInput } from './faults';
import { DEFAULT_DEVICE_FILTER_RULES, type DeviceFilterRules } from './graph/device-filter';
import { SlidingWindowThrottle, type ThrottleLimits } from './throttle';
import { TokenAuthority } from './tokens';
import { DEFAULT_ACTION_SCRIPT, type ActionScript, type DeviceSeed, type SandboxApp, type SandboxTenantState } from './tenant';

/** One request the simulated Graph received. Never holds headers or tokens. */
export interface GraphCallRecord {
  readonly at: number;
  readonly method: string;
  /** The decoded path, version included, e.g. /v1.0/deviceManagement/managedDevices/x. */
  path: string;
  /** The raw query string without '?'. */
  readonly query: string;
  /** The calling app, once its token was accepted. */
  appId?: string;
  /** The status sent, or what happened to the connection instead. */
  outcome: number | 'reset' | 'lostResponse' | 'pending';
}

/** One request to the token endpoint. Never holds the secret. */
export interface TokenRequestRecord {
  readonly at: number;
  readonly tenant: string;
  readonly clientId: string | undefined;
  readonly grantType: string | undefined;
  readonly scope: string | undefined;
  readonly status: number;
  readonly error?: string;
}

export interface SentMailRecord {
  readonly at: number;
  readonly userId: string;
  readonly message: unknown;
  readonly saveToSentItems: boolean | undefined;
  /** A message sent in MIME form, parsed: its headers and its text and HTML parts. */
  readonly mime?: {
    readonly from: string;
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly subject: string;
    readonly text: string | undefined;
    readonly html: string | undefined;
  };
}

export interface SandboxControlOptions {
  readonly state: SandboxTenantState;
  readonly clock: SandboxClock;
  readonly tokenLifetimeSeconds: number;
  readonly throttleLimits?: Partial<ThrottleLimits>;
  readonly random?: () => number;
}

/** A FaultInjector that knows which rule ids exist, so the control API can answer 404 for an unknown one. */
export class TrackedFaultInjector extends FaultInjector {
  private readonly ids = new Set<number>();

  override add(input: FaultRuleInput): number {
    const id = super.add(input);
    this.ids.add(id);
    return id;
  }

  override remove(id: number): void {
    super.remove(id);
    this.ids.delete(id);
  }

  override clear(): void {
    super.clear();
    this.ids.clear();
  }

  /** True while the rule with this id is in place (until `remove` or `clear`). */
  has(id: number): boolean {
    return this.ids.has(id);
  }
}

/** Refuses a script that cannot play out: its phases run forward, 0 ≤ activeAfterMs ≤ finalAfterMs. */
export function checkActionScript(script: ActionScript): void {
  if (!(script.activeAfterMs >= 0 && script.finalAfterMs >= script.activeAfterMs)) {
    throw new RangeError(`an action script runs forward: 0 ≤ activeAfterMs ≤ finalAfterMs (got activeAfterMs ${String(script.activeAfterMs)}, finalAfterMs ${String(script.finalAfterMs)})`);
  }
}

export class SandboxControl {
  /** The tenant, as plain data. Mutate it freely, or use the helpers below. */
  readonly state: SandboxTenantState;
  readonly clock: SandboxClock;
  readonly tokens: TokenAuthority;
  readonly throttle: SlidingWindowThrottle;
  readonly faults: TrackedFaultInjector;
  /** Lifetime of issued access tokens; `expires_in` says the same. */
  tokenLifetimeSeconds: number;
  /** Page size of `managedDevices` lists without `$top`: 1,000, as Intune answers (powershell-intune-samples#2). */
  devicePageSize = 1000;
  /** Page size of the configuration lists (deviceConfigurations, configurationPolicies, their settings and assignments). */
  configurationPageSize = 100;
  /** Which `managedDevices` `$filter`s the simulated Intune applies, and which it ignores (graph/device-filter.ts). */
  deviceFilterRules: DeviceFilterRules = DEFAULT_DEVICE_FILTER_RULES;

  readonly calls: GraphCallRecord[] = [];
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly sentMail: SentMailRecord[] = [];
  private readonly actions = new Map<string, StoredAction[]>();
  private readonly resetCounts = new Map<string, number>();

  constructor(options: SandboxControlOptions) {
    this.state = options.state;
    this.clock = options.clock;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds;
    this.tokens = new TokenAuthority(options.clock);
    this.throttle = new SlidingWindowThrottle(options.clock);
    if (options.throttleLimits !== undefined) this.throttle.setLimits(options.throttleLimits);
    this.faults = new TrackedFaultInjector(options.random);
  }

  // --- seeding -------------------------------------------------------------------------------------------------

  device(id: string): DeviceSeed | undefined {
    return this.state.devices.find((d) => d.device.id === id);
  }

  /** Adds a device, or replaces the one with the same id. Throws a RangeError for a script that runs backwards. */
  upsertDevice(seed: DeviceSeed): void {
    if (seed.resetScript !== undefined) checkActionScript(seed.resetScript);
    const index = this.state.devices.findIndex((d) => d.device.id === seed.device.id);
    if (index === -1) this.state.devices.push(seed);
    else this.state.devices[index] = seed;
  }

  removeDevice(id: string): void {
    this.state.devices = this.state.devices.filter((d) => d.device.id !== id);
  }

  /** Sets how the next resetPasscode actions on `deviceId` play out. Throws a RangeError for a script that runs backwards. */
  scriptAction(deviceId: string, script: ActionScript): void {
    const seed = this.device(deviceId);
    if (seed === undefined) throw new Error(`no device ${deviceId} in the sandbox`);
    checkActionScript(script);
    seed.resetScript = script;
  }

  app(clientId: string): SandboxApp | undefined {
    return this.state.apps.find((a) => a.clientId === clientId);
  }

  /** Exchange RBAC for Applications: lets the app send as these mailboxes without Mail.Send in its token. */
  setMailSendScope(clientId: string, mailboxes: readonly string[]): void {
    const app = this.app(clientId);
    if (app === undefined) throw new Error(`no app ${clientId} in the sandbox`);
    app.mailSendScope = [...mailboxes];
  }

  /** Sets the application permissions consented for an app. Tokens issued before keep their roles. */
  setAppRoles(clientId: string, roles: readonly string[]): void {
    const app = this.app(clientId);
    if (app === undefined) throw new Error(`no app ${clientId} in the sandbox`);
    app.roles = [...roles];
  }

  /**
   * Makes the simulated Intune ignore an `eq` filter on these properties (answering every device), and match these
   * others as "contains"; what is not given keeps its default (DEFAULT_DEVICE_FILTER_RULES).
   */
  setDeviceFilterRules(rules: Partial<DeviceFilterRules>): void {
    this.deviceFilterRules = { ...DEFAULT_DEVICE_FILTER_RULES, ...rules };
  }

  injectFault(rule: FaultRuleInput): number {
    return this.faults.add(rule);
  }

  setThrottleLimits(limits: Partial<ThrottleLimits>): void {
    this.throttle.setLimits(limits);
  }

  /** A token straight from the authority, for tests of Graph's 401/403 answers. Defaults: the first app, Graph, its roles. */
  issueToken(claims: { appId?: string; audience?: string; roles?: readonly string[]; lifetimeSeconds?: number } = {}): string {
    const app = claims.appId === undefined ? this.state.apps[0] : this.app(claims.appId);
    const appId = claims.appId ?? app?.clientId ?? 'unknown-app';
    const issued = this.tokens.issue(
      { tenantId: this.state.tenantId, appId, audience: claims.audience ?? 'https://graph.microsoft.com', roles: claims.roles ?? app?.roles ?? [] },
      claims.lifetimeSeconds ?? this.tokenLifetimeSeconds,
    );
    return issued.accessToken;
  }

  // --- used by the routes ----------------------------------------------------------------------------------------

  /** Records a resetPasscode POST on a known device and starts its action. */
  recordResetPasscode(deviceId: string): StoredAction {
    const seed = this.device(deviceId);
    const action = newResetPasscodeAction(this.clock.now(), seed?.resetScript ?? DEFAULT_ACTION_SCRIPT);
    // One entry per action name, as the portal shows it: a new reset replaces the previous result.
    const others = (this.actions.get(deviceId) ?? []).filter((a) => a.actionName !== action.actionName);
    this.actions.set(deviceId, [...others, action]);
    this.resetCounts.set(deviceId, this.resetPasscodeCount(deviceId) + 1);
    return action;
  }

  // --- reading -----------------------------------------------------------------------------------------------------

  /** How many resetPasscode POSTs reached `deviceId` (including ones whose response was lost). */
  resetPasscodeCount(deviceId: string): number {
    return this.resetCounts.get(deviceId) ?? 0;
  }

  deviceActions(deviceId: string): readonly StoredAction[] {
    return this.actions.get(deviceId) ?? [];
  }

  /** Forgets calls, token requests, mail, actions, counts and the throttle window; keeps the tenant and faults. */
  clearRecords(): void {
    this.calls.length = 0;
    this.tokenRequests.length = 0;
    this.sentMail.length = 0;
    this.actions.clear();
    this.resetCounts.clear();
    this.throttle.reset();
  }
}
