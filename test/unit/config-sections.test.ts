import { parseConfig } from '../../src/config/load';
import { isSandboxMode, type Config } from '../../src/config/schema';
import type { ResetPolicySection, TicketingAccountsSection, TicketScopeSection } from '../../src/config/sections';
import { secretsOf, type DoctorSecrets } from '../../src/doctor';
import { ticketingSettingsFromConfig } from '../../src/ticketing/clients';
import { ticketScopeOf } from '../../src/ticketing/ticket-facts';
import { resetSettings } from '../../workers/compose';

// Each module takes its own section of the configuration (src/config/sections.ts), so an object with only that section's
// settings is enough, and gives what the whole configuration gives. A module that reached for another setting would
// no longer compile here (and would read it as undefined).
const config = parseConfig({
  APPROVAL_ALLOWED_APPROVERS: 'mia.approver@contoso.com',
  APPROVAL_RECHECK_MAX_SECONDS: '120',
  DRY_RUN: 'true',
  SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com',
  SERVICENOW_USERNAME: 'resetpc.integration',
  SERVICENOW_PASSWORD: 'servicenow-password',
  JIRA_SITE_URL: 'https://contoso.atlassian.net',
  JIRA_EMAIL: 'resetpc@contoso.com',
  JIRA_API_TOKEN: 'jira-api-token',
  JIRA_PROJECTS: 'HD,IT',
  SERVICENOW_TABLES: 'incident',
  SMTP_HOST: 'smtp.contoso.com',
  NOTIFY_EMAIL_FROM: 'resetpc@contoso.com',
  SMTP_USER: 'resetpc',
  SMTP_PASSWORD: 'smtp-password',
});

/** The settings named, and no others. */
function pick<K extends keyof Config>(from: Config, keys: readonly K[]): Pick<Config, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<Config, K>;
}

describe('configuration by section', () => {
  it('derives the reset worker settings from the reset policy alone', () => {
    const section: ResetPolicySection = pick(config, ['APPROVAL_REQUIRED', 'APPROVAL_ALLOWED_APPROVERS', 'APPROVAL_DEADLINE_HOURS', 'APPROVAL_RECHECK_MAX_SECONDS', 'MAX_SYNC_AGE_HOURS', 'IOS_REMOVE_PASSCODE', 'ACTION_DEADLINE_MINUTES', 'ACTION_POLL_BASE_MS', 'SUBMIT_SETTLE_SECONDS', 'DRY_RUN']);
    expect(resetSettings(section)).toEqual(resetSettings(config));
    expect(resetSettings(section)).toMatchObject({ allowedApprovers: ['mia.approver@contoso.com'], approvalRecheckMaxMs: 120_000, dryRun: true });
  });

  it('builds the ticketing accounts and the ticket scope from their sections alone', () => {
    const accounts: TicketingAccountsSection = pick(config, ['SERVICENOW_INSTANCE_URL', 'SERVICENOW_USERNAME', 'SERVICENOW_PASSWORD', 'JIRA_SITE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN']);
    expect(ticketingSettingsFromConfig(accounts)).toEqual(ticketingSettingsFromConfig(config));
    expect(ticketingSettingsFromConfig({ ...accounts, JIRA_API_TOKEN: undefined })).toEqual({ servicenow: { instanceUrl: 'https://contoso.service-now.com', username: 'resetpc.integration', password: 'servicenow-password' } });

    const scope: TicketScopeSection = pick(config, ['JIRA_PROJECTS', 'JIRA_ISSUE_TYPES', 'JIRA_REQUEST_TYPES', 'JIRA_REQUEST_TYPE_FIELD', 'JIRA_DEVICE_FIELD', 'JIRA_DEVICE_KIND', 'SERVICENOW_TABLES', 'SERVICENOW_DEVICE_FIELD', 'SERVICENOW_DEVICE_KIND']);
    expect(ticketScopeOf(scope)).toEqual(ticketScopeOf(config));
    expect(ticketScopeOf(scope)).toMatchObject({ jira: { projects: ['HD', 'IT'] }, servicenow: { tables: ['incident'] } });
  });

  it('lists the secrets the doctor blanks from the secrets alone, and tells sandbox mode from the tenant ids', () => {
    const secrets: DoctorSecrets = {
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CLIENT_CERTIFICATE_PASSWORD: undefined,
      SERVICENOW_PASSWORD: config.SERVICENOW_PASSWORD,
      JIRA_API_TOKEN: config.JIRA_API_TOKEN,
      JIRA_WEBHOOK_SECRET: undefined,
      SERVICENOW_WEBHOOK_SECRET: undefined,
      SANDBOX_API_TOKEN: undefined,
      SMTP_PASSWORD: config.SMTP_PASSWORD,
      REDIS_URL: 'redis://resetpc:redis-password@redis.internal:6379',
    };
    expect(secretsOf(secrets).filter((s) => s !== undefined)).toEqual(['servicenow-password', 'jira-api-token', 'smtp-password', 'redis-password']);
    expect(isSandboxMode({ AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined })).toBe(true);
    expect(isSandboxMode({ AZURE_TENANT_ID: 'contoso.onmicrosoft.com', AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' })).toBe(false);
  });
});
