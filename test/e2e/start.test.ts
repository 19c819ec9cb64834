import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { testRedisUrl, uniquePrefix, waitFor } from '../support/env';

const START = 'dist/src/bin/start.js';
const TOKEN = 'rpt_e2e-demo-token-0000000000000000';

interface Run {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exit: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, ['--enable-source-maps', START], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    resolve(code);
  }));
  return { child, out: () => out, err: () => err, exit };
}

beforeAll(() => {
  if (!existsSync(START)) throw new Error(`${START} is missing: run "npm run build" first (npm test does)`);
});

describe('npm start (the quick start)', () => {
  it('starts on embedded defaults, prints the URLs and the demo token, accepts a request, and stops cleanly on SIGTERM', async () => {
    const app = run({ PORT: '0', SANDBOX_PORT: '0', SANDBOX_SMTP_PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e'), SANDBOX_API_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
    try {
      await waitFor(() => app.out().includes('Demo token:') || app.child.exitCode !== null, 20_000, 'the start banner');
      expect(app.out()).toContain(`Demo token:   ${TOKEN}`);
      const base = /API:\s+(http:\/\/localhost:\d+)\/v1\/resets/.exec(app.out())?.[1];
      expect(base).toBeDefined();

      const res = await fetch(`${base ?? ''}/v1/resets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: { serialNumber: 'E2E-SN-1' }, requestedBy: 'anna@contoso.com' }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      // The embedded worker checks the device against the simulated tenant: this serial is not there.
      await waitFor(async () => {
        const shown = await fetch(`${base ?? ''}/v1/resets/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return ((await shown.json()) as { state: string }).state === 'ineligible';
      }, 15_000, 'the request to be found ineligible');

      // A simulated Android device qualifies and waits for approval.
      const android = await fetch(`${base ?? ''}/v1/resets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: { deviceName: 'AE-FM-0100' }, requestedBy: 'anna@contoso.com' }),
      });
      const androidId = ((await android.json()) as { id: string }).id;
      await waitFor(async () => {
        const shown = await fetch(`${base ?? ''}/v1/resets/${androidId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return ((await shown.json()) as { state: string }).state === 'awaiting_approval';
      }, 15_000, 'the Android request to await approval');
      expect(app.out() + app.err()).not.toContain('"msg":"request accepted"'); // LOG_LEVEL=warn is honoured

      // Sandbox mode is unmistakable, and the simulated tenant answers over HTTPS with only its CA trusted.
      expect(app.out()).toContain('SANDBOX MODE: the tenant, ServiceNow, Jira and the mailbox below are simulated.');
      expect(app.out()).toContain('SANDBOX MODE: the Microsoft tenant, ServiceNow, Jira and the mailbox are SIMULATED');
      const control = /Control API:\s+(https:\/\/127\.0\.0\.1:\d+\/_sandbox)/.exec(app.out())?.[1] ?? '';
      const caFile = /Sandbox CA:\s+(\S+)/.exec(app.out())?.[1] ?? '';
      const dispatcher = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
      try {
        const summary = await undiciFetch(control, { dispatcher });
        expect(await summary.json()).toMatchObject({ simulated: true });
        // The simulated Jira's signed webhook reaches the intake: the embedded wiring shares the run's secret.
        const sent = await undiciFetch(`${control}/jira/issues/HD-1/webhook`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, dispatcher });
        expect(await sent.json()).toMatchObject({ delivered: true });
      } finally {
        await dispatcher.close();
      }

      app.child.kill('SIGTERM');
      expect(await app.exit).toBe(0);
      expect(existsSync(caFile)).toBe(false);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it.each(['PORT', 'SANDBOX_PORT', 'SANDBOX_SMTP_PORT'] as const)('refuses a busy %s before listening on anything, with one line naming the variable', async (variable) => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as AddressInfo).port);
    try {
      const ports = { PORT: '0', SANDBOX_PORT: '0', SANDBOX_SMTP_PORT: '0', [variable]: port };
      const app = run({ ...ports, REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e-busy'), LOG_LEVEL: 'info' });
      expect(await app.exit).toBe(1);
      expect(app.err().trim()).toBe(`Port ${port} is already in use (${variable}): stop what uses it, or set ${variable} to a free port, e.g. ${variable}=${String(Number(port) + 100)} npm start (0 picks any free port).`);
      expect(app.out()).not.toMatch(/listening|Demo token/);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => { resolve(); }));
    }
  });

  it('starts in sandbox mode with JIRA_WEBHOOK_SECRET set and JIRA_PROJECTS unset: the sandbox sets HD before validation', async () => {
    const app = run({ PORT: '0', SANDBOX_PORT: '0', SANDBOX_SMTP_PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e-jira'), LOG_LEVEL: 'warn', JIRA_WEBHOOK_SECRET: 'a-jira-secret-of-the-user-0001' });
    try {
      await waitFor(() => app.out().includes('Demo token:') || app.child.exitCode !== null, 20_000, 'the start banner');
      expect(app.err()).not.toContain('Invalid configuration');
      expect(app.out()).toContain('Demo token:');
      // The banner comes last: the start-up's log lines (here the sandbox-mode warning) are above it, none inside or after.
      await waitFor(() => app.out().includes('Sandbox CA:'), 10_000, 'the whole banner');
      const out = app.out();
      const banner = out.indexOf('Intune passcode reset is running');
      expect(out.indexOf('"msg":"SANDBOX MODE')).toBeGreaterThanOrEqual(0);
      expect(out.indexOf('"msg":"SANDBOX MODE')).toBeLessThan(banner);
      expect(out.slice(banner).split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
      app.child.kill('SIGTERM');
      expect(await app.exit).toBe(0);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it('refuses bad configuration with one message naming every bad variable, and exits 1', async () => {
    const app = run({ PORT: 'eighty', REDIS_URL: 'http://not-redis', LOG_LEVEL: 'loud' });
    expect(await app.exit).toBe(1);
    expect(app.err()).toMatch(/Invalid configuration:\n {2}- LOG_LEVEL: .+\n {2}- PORT: .+\n {2}- REDIS_URL: .+/);
  });
});
