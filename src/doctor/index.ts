/**
 * `npm run doctor`: checks a real configuration against the systems it names (Redis, Entra ID and Graph, the tenant
 * prerequisites, ServiceNow, Jira, SMTP) and says what is wrong and how to fix it. It only reads: no token is
 * stored, no Redis key written, no ticket touched, no mail sent, no device reset.
 */
import { Agent } from 'undici';
import type { Config } from '../config/schema';
import { caListWith } from '../graph/credential';
import type { RedisSection, SmtpSection } from '../config/sections';
import { checkGraph, type GraphDoctorConfig } from './graph';
import { checkRedis, checkSmtp } from './infra';
import { exitCodeOf, formatReport, type CheckResult } from './report';
import { checkJira, checkServiceNow, type JiraDoctorConfig } from './ticketing';

export { exitCodeOf, formatReport, type CheckResult, type CheckStatus } from './report';

export interface DoctorOptions {
  /** GRAPH_EXTRA_CA_FILE's content: trusted, on top of the system roots, for every HTTPS and SMTP connection. */
  readonly extraCaPem?: string;
  /** An open Jira issue to check the configured transitions on. */
  readonly jiraIssue?: string;
  /** Per call; default 20 s. */
  readonly timeoutMs?: number;
}

export interface DoctorReport {
  readonly results: readonly CheckResult[];
  readonly exitCode: 0 | 1;
  /** The printable report, with every configured secret blanked. */
  readonly text: string;
}

/** The configured values that must never be printed. */
export type DoctorSecrets = Pick<
  Config,
  | 'AZURE_CLIENT_SECRET'
  | 'AZURE_CLIENT_CERTIFICATE_PASSWORD'
  | 'SERVICENOW_PASSWORD'
  | 'JIRA_API_TOKEN'
  | 'JIRA_WEBHOOK_SECRET'
  | 'SERVICENOW_WEBHOOK_SECRET'
  | 'SANDBOX_API_TOKEN'
  | 'SMTP_PASSWORD'
  | 'REDIS_URL'
>;

/** What the doctor reads: what each check reads, and the secrets it blanks in its report. */
export type DoctorConfig = Pick<RedisSection, 'REDIS_URL'> & GraphDoctorConfig & JiraDoctorConfig & SmtpSection & DoctorSecrets;

/** Every configured value that must never be printed. */
export function secretsOf(config: DoctorSecrets): (string | undefined)[] {
  return [
    config.AZURE_CLIENT_SECRET,
    config.AZURE_CLIENT_CERTIFICATE_PASSWORD,
    config.SERVICENOW_PASSWORD,
    config.JIRA_API_TOKEN,
    config.JIRA_WEBHOOK_SECRET,
    config.SERVICENOW_WEBHOOK_SECRET,
    config.SANDBOX_API_TOKEN,
    config.SMTP_PASSWORD,
    // redis://user:password@host, and the Cluster form redis-cluster://user:password@host:port,host:port.
    /^[a-z-]+:\/\/[^:@/]*:([^@/]+)@/.exec(config.REDIS_URL)?.[1],
  ];
}

export async function runDoctor(config: DoctorConfig, options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const ca = options.extraCaPem === undefined ? {} : { extraCaPem: options.extraCaPem };
  const dispatcher = options.extraCaPem === undefined ? undefined : new Agent({ connect: { ca: caListWith(options.extraCaPem) } });
  const results: CheckResult[] = [];
  try {
    results.push(await checkRedis(config, Math.min(timeoutMs, 5000)));
    results.push(...(await checkGraph(config, { ...ca, timeoutMs })));
    const ticketing = { timeoutMs, ...(dispatcher === undefined ? {} : { dispatcher }) };
    results.push(await checkServiceNow(config, ticketing));
    results.push(...(await checkJira(config, { ...ticketing, ...(options.jiraIssue === undefined ? {} : { jiraIssue: options.jiraIssue }) })));
    results.push(await checkSmtp(config, { ...ca, timeoutMs }));
  } finally {
    await dispatcher?.close();
  }
  return { results, exitCode: exitCodeOf(results), text: formatReport(results, secretsOf(config)) };
}
