/**
 * `npm run doctor` (node dist/src/bin/doctor.js): checks the configuration (environment and .env) against Redis,
 * Entra ID and Graph, the tenant prerequisites, ServiceNow, Jira and SMTP; prints each check, what is wrong and how
 * to fix it; exits 1 when a check failed. It only reads and changes nothing.
 *
 *   npm run doctor
 *   npm run doctor -- --jira-issue HD-42     also check JIRA_SUCCESS_TRANSITIONS / JIRA_FAILURE_TRANSITIONS on HD-42
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load';
import { runDoctor, secretsOf } from '../doctor';
import { blankSecrets } from '../doctor/report';
import { JIRA_ISSUE_KEY } from '../domain/identifiers';

const USAGE = 'usage: npm run doctor [-- --jira-issue KEY]';

function parseArgs(argv: readonly string[]): { jiraIssue?: string } {
  const args: { jiraIssue?: string } = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--jira-issue' && argv[i + 1] !== undefined && JIRA_ISSUE_KEY.test(argv[i + 1] ?? '')) {
      args.jiraIssue = argv[i + 1] ?? '';
      i += 1;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      throw new Error(`unknown or incomplete argument ${JSON.stringify(arg)}\n${USAGE}`);
    }
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stdout.write(`FAIL  Configuration: ${e.message}\n      fix: correct the variables named above (docs/configuration.md).\n`);
      return 1;
    }
    throw e;
  }
  let extraCaPem: string | undefined;
  if (config.GRAPH_EXTRA_CA_FILE !== undefined) {
    try {
      extraCaPem = readFileSync(config.GRAPH_EXTRA_CA_FILE, 'utf8');
    } catch {
      process.stdout.write(`FAIL  Configuration: GRAPH_EXTRA_CA_FILE ${config.GRAPH_EXTRA_CA_FILE} cannot be read\n      fix: point it at a readable PEM file, or unset it.\n`);
      return 1;
    }
  }
  const report = await runDoctor(config, { ...(extraCaPem === undefined ? {} : { extraCaPem }), ...(args.jiraIssue === undefined ? {} : { jiraIssue: args.jiraIssue }) });
  process.stdout.write(blankSecrets(report.text, secretsOf(config)));
  return report.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // No stack (it may hold values): the message only, with every configured secret blanked.
    let secrets: (string | undefined)[] = [];
    try {
      secrets = secretsOf(loadConfig());
    } catch {
      // The configuration itself is what failed: its error never echoes a value.
    }
    process.stderr.write(blankSecrets(`doctor failed: ${err instanceof Error ? err.message : String(err)}\n`, secrets));
    process.exitCode = 1;
  },
);
