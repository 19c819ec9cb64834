import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateToken, sha256Hex } from '../../src/auth/tokens';
import { freePort } from '../../src/redis/spawn';
import { waitFor } from './env';
import { labelledOutput, spawnProductProcess, stopProcesses, type ProductProcess } from './product-process';
import { JIRA_SECRET, SERVICENOW_SECRET } from './intake';

/** The production intake entry point, as `npm run intake` runs it. `npm run build` must have run first. */
const INTAKE_MAIN = resolve(__dirname, '../../dist/src/bin/intake.js');

/** One real intake process (`node dist/src/bin/intake.js`) listening on a loopback port. */
export interface IntakeProcess extends ProductProcess {
  /** http://127.0.0.1:PORT */
  readonly url: string;
}

export interface IntakeFleetOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  /** Configuration on top of the defaults below (any variable of docs/configuration.md). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Intake processes sharing one API token (role submit, name `chaos-submitter`) and the test webhook secrets. */
export interface IntakeFleet {
  readonly all: readonly IntakeProcess[];
  running(): IntakeProcess[];
  /** The submitter's bearer token, for `authorization: Bearer …`. */
  readonly token: string;
  /** Starts `n` processes and waits until each answers /health/live. */
  start(n?: number): Promise<IntakeProcess[]>;
  output(): string;
  /** SIGTERM to every running process (graceful shutdown), awaits each exit; then removes the temporary directory. */
  stop(): Promise<void>;
}

const DEFAULTS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  RATE_LIMIT_MAX: '1000000',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  JIRA_WEBHOOK_SECRET: JIRA_SECRET,
  JIRA_PROJECTS: 'HD',
  SERVICENOW_WEBHOOK_SECRET: SERVICENOW_SECRET,
  // A webhook's ticket is accepted only when the intake has an account for its system. The fleet starts before the
  // sandbox (which needs its URL), so these name no real end: these intakes never read a cited ticket.
  SERVICENOW_INSTANCE_URL: 'https://servicenow.example.invalid',
  SERVICENOW_USERNAME: 'resetpc.integration',
  SERVICENOW_PASSWORD: 'servicenow-password-for-tests',
  JIRA_SITE_URL: 'https://jira.example.invalid',
  JIRA_EMAIL: 'resetpc@contoso.com',
  JIRA_API_TOKEN: 'jira-api-token-for-tests',
};

export function createIntakeFleet(options: IntakeFleetOptions): IntakeFleet {
  const dir = mkdtempSync(join(tmpdir(), 'resetpc-intake-'));
  const token = generateToken();
  const env: Record<string, string> = {
    // Nothing from the test runner's environment leaks in (no REDIS_URL, no .env: cwd is `dir`).
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    ...DEFAULTS,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.prefix,
    API_TOKENS: JSON.stringify([{ name: 'chaos-submitter', roles: ['submit'], sha256: sha256Hex(token) }]),
    ...options.env,
  };
  const all: IntakeProcess[] = [];

  async function launch(): Promise<IntakeProcess> {
    const name = `i${String(all.length + 1)}`;
    const port = await freePort();
    const intake: IntakeProcess = spawnProductProcess(name, INTAKE_MAIN, dir, { ...env, PORT: String(port) }, { url: `http://127.0.0.1:${String(port)}` });
    all.push(intake);
    return intake;
  }

  const live = async (intake: IntakeProcess): Promise<boolean> => {
    if (!intake.running) throw new Error(`intake ${intake.name} exited at start`);
    try {
      return (await fetch(`${intake.url}/health/live`, { signal: AbortSignal.timeout(1000) })).status === 200;
    } catch {
      return false;
    }
  };

  const fleet: IntakeFleet = {
    all,
    token,
    running: () => all.filter((i) => i.running),
    async start(n = 1) {
      const started: IntakeProcess[] = [];
      for (let i = 0; i < n; i++) started.push(await launch());
      try {
        for (const intake of started) await waitFor(() => live(intake), 20_000, `intake ${intake.name} to answer /health/live`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${fleet.output()}`, { cause: err });
      }
      return started;
    },
    output: () => labelledOutput(all),
    async stop() {
      await stopProcesses(all);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
