import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateToken, sha256Hex } from '../../src/auth/tokens';
import { freePort } from '../../src/redis/spawn';
import { waitFor } from './env';
import { JIRA_SECRET, SERVICENOW_SECRET } from './intake';

/** The production intake entry point, as `npm run intake` runs it. `npm run build` must have run first. */
const INTAKE_MAIN = resolve(__dirname, '../../dist/src/bin/intake.js');

/** One real intake process (`node dist/src/bin/intake.js`) listening on a loopback port. */
export interface IntakeProcess {
  /** `i1`, `i2`… in start order, for logs. */
  readonly name: string;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  readonly running: boolean;
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
    const child = spawn(process.execPath, ['--enable-source-maps', INTAKE_MAIN], { cwd: dir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') output.push(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once('exit', (code, signal) => {
        done({ code, signal });
      });
    });
    const intake: IntakeProcess = {
      name,
      url: `http://127.0.0.1:${String(port)}`,
      child,
      output,
      exited,
      get running() {
        return child.exitCode === null && child.signalCode === null;
      },
    };
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
    output: () => all.map((i) => i.output.map((line) => `[${i.name}] ${line}`).join('\n')).join('\n'),
    async stop() {
      await Promise.all(
        fleet.running().map(async (i) => {
          i.child.kill('SIGTERM');
          await i.exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
