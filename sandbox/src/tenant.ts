/**
 * The simulated tenant as plain data: apps, devices, service principals and device configurations. Tests and (later)
 * the control API seed it; the Graph routes read it. Typed with @microsoft/microsoft-graph-types (v1.0), widened
 * with the beta-only properties the product looks at.
 */
import type {
  DeviceConfiguration,
  DeviceConfigurationAssignment,
  DeviceEnrollmentType,
  ManagedDevice,
  ServicePrincipal,
} from '@microsoft/microsoft-graph-types';

/** Beta `deviceType` values the fixtures use (the full list is longer). */
export type BetaDeviceType =
  | 'desktop' | 'windowsRT' | 'winMO6' | 'windowsPhone' | 'mac' | 'macMDM' | 'iPhone' | 'iPad' | 'iPod'
  | 'android' | 'androidForWork' | 'androidEnterprise' | 'androidnGMS' | 'holoLens' | 'surfaceHub' | 'unknown';

/** Beta `joinType`. */
export type BetaJoinType = 'unknown' | 'azureADJoined' | 'azureADRegistered' | 'hybridAzureADJoined';

/** `deviceEnrollmentType`, with the beta-only Android values. */
export type SandboxEnrollmentType =
  | DeviceEnrollmentType
  | 'androidEnterpriseDedicatedDevice'
  | 'androidEnterpriseFullyManaged'
  | 'androidEnterpriseCorporateWorkProfile'
  | 'androidAOSPUserOwnedDeviceEnrollment'
  | 'androidAOSPUserlessDeviceEnrollment';

/** `managementState` (Microsoft Learn: intune-devices-managementstate). */
export type ManagementState =
  | 'managed' | 'retirePending' | 'retireFailed' | 'wipePending' | 'wipeFailed' | 'unhealthy' | 'deletePending'
  | 'retireIssued' | 'wipeIssued' | 'wipeCanceled' | 'retireCanceled' | 'discovered';

/** A managed device as the sandbox stores it: v1.0 properties plus the beta-only ones. Action results are kept apart. */
export interface SandboxManagedDevice extends Omit<ManagedDevice, 'id' | 'deviceEnrollmentType' | 'deviceActionResults'> {
  id: string;
  deviceEnrollmentType?: SandboxEnrollmentType;
  managementState?: ManagementState;
  /** Beta only. */
  deviceType?: BetaDeviceType;
  /** Beta only. */
  joinType?: BetaJoinType;
  /** Beta only. */
  ownerType?: 'unknown' | 'company' | 'personal';
}

/** The final state a resetPasscode action reaches. */
export type ActionOutcome = 'done' | 'failed' | 'notSupported';

/** How a resetPasscode action plays out on a device, relative to the POST: pending → active → outcome. */
export interface ActionScript {
  readonly outcome: ActionOutcome;
  /** Milliseconds after the POST at which the action turns `active`. */
  readonly activeAfterMs: number;
  /** Milliseconds after the POST at which it reaches `outcome`. */
  readonly finalAfterMs: number;
  /** `errorCode` on a failed result. */
  readonly errorCode?: number;
}

export const DEFAULT_ACTION_SCRIPT: ActionScript = { outcome: 'done', activeAfterMs: 5_000, finalAfterMs: 30_000 };

export interface DeviceSeed {
  device: SandboxManagedDevice;
  /** The resetPasscode timeline for this device; DEFAULT_ACTION_SCRIPT when absent. */
  resetScript?: ActionScript;
  /** Which eligibility case the fixture covers. Not served by Graph. */
  note?: string;
}

/** A device configuration with its `@odata.type`, as the list endpoint returns it. */
export type SandboxDeviceConfiguration = DeviceConfiguration & { '@odata.type': string; id: string };

export interface ConfigurationSeed {
  configuration: SandboxDeviceConfiguration;
  assignments: DeviceConfigurationAssignment[];
}

/**
 * A Settings catalog or endpoint security policy (beta `deviceManagementConfigurationPolicy`), with its settings
 * (`deviceManagementConfigurationSetting`: `{ id, settingInstance }`) and assignments. Beta only: the v1.0 typings
 * have no such types, so the shapes are kept loose.
 */
export interface ConfigurationPolicySeed {
  policy: { id: string; name: string; platforms?: string; technologies?: string; templateReference?: Record<string, unknown> & { templateFamily?: string } } & Record<string, unknown>;
  settings: ({ id: string; settingInstance: Record<string, unknown> } & Record<string, unknown>)[];
  assignments: ({ id: string; target: Record<string, unknown> } & Record<string, unknown>)[];
}

/** An app registration that may call the sandbox: its secret and the application permissions (roles) consented. */
export interface SandboxApp {
  clientId: string;
  clientSecret: string;
  displayName: string;
  roles: string[];
  /**
   * Exchange RBAC for Applications: mailboxes this app may send as through a management-scoped "Application Mail.Send"
   * role assignment made in Exchange Online. It is not in the Entra token's roles
   * (learn.microsoft.com/exchange/permissions-exo/application-rbac).
   */
  mailSendScope?: string[];
}

export interface SandboxTenantState {
  tenantId: string;
  apps: SandboxApp[];
  devices: DeviceSeed[];
  servicePrincipals: (ServicePrincipal & { id: string; appId: string })[];
  deviceConfigurations: ConfigurationSeed[];
  /** Settings catalog and endpoint security policies (GET /beta/deviceManagement/configurationPolicies); none when absent. */
  configurationPolicies?: ConfigurationPolicySeed[];
  /** Users with an Exchange Online mailbox (UPN or primary SMTP address); sendMail as anyone else is 404 ErrorInvalidUser. */
  mailboxes?: string[];
}
