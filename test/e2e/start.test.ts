import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
    const app = run({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e'), SANDBOX_API_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
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
      const shown = await fetch(`${base ?? ''}/v1/resets/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(((await shown.json()) as { state: string }).state).toBe('received');
      expect(app.out() + app.err()).not.toContain('"msg":"request accepted"'); // LOG_LEVEL=warn is honoured

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
