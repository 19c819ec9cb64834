/**
 * The docs check: the walkthroughs of the docs, run as written against `npm start`, so that they cannot drift.
 *
 * Covers:
 * - README.md "## Quick start": the walkthrough ```sh block (TOKEN/APPROVER, submit, read, approve, read until
 *   succeeded), the sentence "Try `{"deviceName":"DESKTOP-7QK2M"}` too" (the same submit with that device), and the
 *   mailbox command; the overview's `/metrics` line (the token it needs).
 * - docs/sandbox.md "## Sandbox mode in `npm start`": the banner, line by line; "## Walkthrough: resets from the API,
 *   ServiceNow and Jira", sections 1 to 5: every ```sh block, and the answer blocks right after them.
 * - docs/configuration.md, the `PUBLIC_BASE_URL` row: the link it starts in the result email.
 * - docs/deploy.md §2, "What a worker needs to start": the worker process with each credential kind.
 *
 * Each doc runs against its own fresh `node dist/src/bin/start.js` (what `npm start` runs; `npm run build` first),
 * as a newcomer's would, except: ports the system picks (PORT=0, SANDBOX_PORT=0, SANDBOX_SMTP_PORT=0), the test
 * Redis with a key prefix of its own, and a device that reports back in a fraction of a second instead of ~30 s (the
 * control API's reset script, and ACTION_POLL_BASE_MS=100). The README's run fixes SANDBOX_API_TOKEN and sets
 * PUBLIC_BASE_URL; docs/sandbox.md's run sets neither, so its banner is the one a newcomer sees.
 *
 * Substitutions, from the banner the run printed: `<the printed demo token>`, `<the printed approver token>`,
 * `<the printed CA file>` (and `/tmp/resetpc-sandbox-XXXXXX/sandbox-ca.pem`); the ports of `localhost:3000`,
 * `127.0.0.1:3000`, `127.0.0.1:3001` and `127.0.0.1:2525`; in the banner, `rpt_...` for a token and the Redis URL.
 * `<id>` is the last request id an answer named. How commands and answers are read: test/support/doc-walkthrough.ts.
 * A failure names the doc's file and line that no longer matches what the product does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { webcrypto } from 'node:crypto';
import { x509 } from '@resetpc/sandbox/pki';
import { Agent, fetch as undiciFetch } from 'undici';
import { testRedisUrl, uniquePrefix, waitFor } from '../support/env';
import { curlOnce, readDoc, runStep, sectionLines, walkthroughSteps, fencedBlocks, type DocStep, type RequestView, type Walk } from '../support/doc-walkthrough';

const ROOT = resolve(__dirname, '../..');
const START = join(ROOT, 'dist/src/bin/start.js');
const WORKER = join(ROOT, 'dist/workers/main.js');
const README = join(ROOT, 'README.md');
const SANDBOX_DOC = join(ROOT, 'docs/sandbox.md');
const DEPLOY_DOC = join(ROOT, 'docs/deploy.md');
const TOKEN = 'rpt_docs-check-demo-token-000000000000';
const PUBLIC_BASE_URL = 'https://resetpc.docs-check.example';
/** How long a read may be repeated before the docs count as drifted: far more than the fast device needs. */
const DEADLINE_MS = 20_000;

interface Banner {
  readonly text: string;
  readonly api: string;
  readonly intakePort: string;
  readonly sandboxPort: string;
  readonly smtpPort: string;
  readonly token: string;
  readonly approver: string;
  readonly caFile: string;
  readonly control: string;
}

interface Product {
  readonly banner: Banner;
  readonly output: () => string;
  stop(): Promise<void>;
}

function field(out: string, pattern: RegExp, what: string): string {
  const value = pattern.exec(out)?.[1];
  if (value === undefined) throw new Error(`the banner has no ${what} line: the docs check (and the docs) read it\n${out}`);
  return value;
}

/** `node dist/src/bin/start.js`, in an empty directory (no .env), until its banner is out. */
async function startProduct(env: Record<string, string>): Promise<Product> {
  const dir = mkdtempSync(join(tmpdir(), 'resetpc-docs-'));
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', START], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: '0', SANDBOX_PORT: '0', SANDBOX_SMTP_PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('docs'), LOG_LEVEL: 'warn', ACTION_POLL_BASE_MS: '100', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => {
    done();
  }));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => /Sandbox CA:.*\n/.test(out) || child.exitCode !== null, 30_000, 'the start banner');
    if (child.exitCode !== null) throw new Error(`npm start exited ${String(child.exitCode)}:\n${out}\n${err}`);
    const start = out.indexOf('Intune passcode reset is running');
    const text = out.slice(start, out.indexOf('\n', out.indexOf('Sandbox CA:')));
    const api = field(text, /API:\s+(http:\/\/localhost:\d+)\/v1\/resets/, 'API');
    const control = field(text, /Control API:\s+(https:\/\/127\.0\.0\.1:\d+\/_sandbox)/, 'Control API');
    const banner: Banner = {
      text,
      api,
      intakePort: field(api, /:(\d+)$/, 'API port'),
      sandboxPort: field(control, /:(\d+)\//, 'Control API port'),
      smtpPort: field(text, /SMTP:\s+smtp:\/\/127\.0\.0\.1:(\d+)/, 'SMTP'),
      token: field(text, /Demo token:\s+(\S+)/, 'Demo token'),
      approver: field(text, /Approver:\s+(\S+)/, 'Approver'),
      caFile: field(text, /Sandbox CA:\s+(\S+)/, 'Sandbox CA'),
      control,
    };
    await quickDevices(banner);
    return { banner, output: () => `${out}\n${err}`, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Every simulated device reports its reset back within 200 ms (the docs' ~30 s is the fixture's default). */
async function quickDevices(banner: Banner): Promise<void> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(banner.caFile, 'utf8') } });
  try {
    const devices = (await (await undiciFetch(`${banner.control}/devices`, { dispatcher })).json()) as { device: { id: string }; resetScript?: { outcome: string; errorCode?: number } }[];
    for (const { device, resetScript } of devices) {
      const script = { outcome: resetScript?.outcome ?? 'done', activeAfterMs: 50, finalAfterMs: 200, ...(resetScript?.errorCode === undefined ? {} : { errorCode: resetScript.errorCode }) };
      const res = await undiciFetch(`${banner.control}/devices/${device.id}/reset-script`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(script), dispatcher });
      if (res.status !== 204) throw new Error(`could not speed up device ${device.id}: HTTP ${res.status}`);
    }
  } finally {
    await dispatcher.close();
  }
}

/** The banner's values in the docs' text. */
function filler(banner: Banner): (text: string) => string {
  return (text) =>
    text
      .replaceAll('<the printed demo token>', banner.token)
      .replaceAll('<the printed approver token>', banner.approver)
      .replaceAll('<the printed CA file>', banner.caFile)
      .replaceAll('/tmp/resetpc-sandbox-XXXXXX/sandbox-ca.pem', banner.caFile)
      .replaceAll('localhost:3000', `localhost:${banner.intakePort}`)
      .replaceAll('127.0.0.1:3000', `127.0.0.1:${banner.intakePort}`)
      .replaceAll('127.0.0.1:3001', `127.0.0.1:${banner.sandboxPort}`)
      .replaceAll('127.0.0.1:2525', `127.0.0.1:${banner.smtpPort}`);
}

function walkFor(banner: Banner): Walk {
  return {
    vars: {},
    fill: filler(banner),
    deadlineMs: DEADLINE_MS,
    lookup: async (id) => {
      const res = await fetch(`${banner.api}/v1/resets/${id}`, { headers: { authorization: `Bearer ${banner.token}` } });
      return (await res.json()) as RequestView;
    },
  };
}

async function runAll(steps: readonly DocStep[], walk: Walk): Promise<void> {
  for (const step of steps) await runStep(step, walk);
}

beforeAll(() => {
  if (!existsSync(START) || !existsSync(WORKER)) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
});

describe('README.md quick start, run as written against npm start', () => {
  let product: Product | undefined;
  let quickStart: ReturnType<typeof readDoc>;
  let steps: DocStep[];
  let walk: Walk;
  let walkthroughRequest: string | undefined;

  beforeAll(async () => {
    product = await startProduct({ SANDBOX_API_TOKEN: TOKEN, PUBLIC_BASE_URL });
    quickStart = sectionLines('README.md', readDoc(README), '## Quick start');
    walk = walkFor(product.banner);
    steps = walkthroughSteps('README.md', quickStart, walk.fill);
  }, 40_000);

  afterAll(async () => {
    await product?.stop();
  });

  it('runs the walkthrough: the Android request waits for approval, the approver token approves it, and it succeeds', async () => {
    expect(steps.filter((s) => s.kind === 'curl').length).toBeGreaterThanOrEqual(4);
    await runAll(steps, walk);
    walkthroughRequest = walk.requestId;
    expect(walk.vars).toMatchObject({ TOKEN, APPROVER: product!.banner.approver });
  }, 60_000);

  it('"Try {"deviceName":"DESKTOP-7QK2M"} too": the same request for that device ends ineligible at once, with the reason the README names', async () => {
    const text = quickStart.map((l) => l.text).join('\n');
    const sentence = /Try `(\{"deviceName":"[^"]+"\})` too: .*? is `([a-z_]+)` at once with `([a-z_]+)`/s.exec(text);
    if (sentence === null) throw new Error('README.md quick start: the sentence "Try `{"deviceName":…}` too: … is `<state>` at once with `<reason>`" changed; change the docs check with it');
    const [, device = '', state = '', reason = ''] = sentence;
    const line = quickStart.find((l) => l.text.includes(device))?.n ?? 0;
    const submit = steps.find((s) => /-X POST \S+\/v1\/resets\s/.test(s.command));
    const read = steps.find((s) => s.kind === 'curl' && s.command.includes('/v1/resets/<id> '));
    if (submit === undefined || read === undefined) throw new Error('README.md: the walkthrough has no submit or read command');
    await runStep({ ...submit, line, command: submit.command.replace(/"device":\{[^}]*\}/, `"device":${device}`), expect: [] }, walk);
    await runStep({ ...read, line, expect: [{ kind: 'state', line, state }, { kind: 'value', line, value: reason }] }, walk);
  }, 30_000);

  it('the mailbox command lists the result email, whose dashboard link starts with PUBLIC_BASE_URL (docs/configuration.md)', async () => {
    const inline = quickStart.flatMap((l) => [...l.text.matchAll(/`(curl [^`]+)`/g)].map((m) => ({ n: l.n, command: m[1] ?? '' })));
    const mailbox = inline.find((c) => c.command.includes('/_sandbox/emails'));
    if (mailbox === undefined) throw new Error('README.md quick start: no mailbox command (`curl ... /_sandbox/emails`)');
    if (walkthroughRequest === undefined) throw new Error('the walkthrough did not run, so there is no request to look for');
    const link = `${PUBLIC_BASE_URL}/ops/requests/${walkthroughRequest}`;
    const step: DocStep = { file: 'README.md', line: mailbox.n, kind: 'curl', command: mailbox.command, expect: [] };
    let emails: { text?: string; html?: string }[] = [];
    await waitFor(async () => {
      emails = (await curlOnce(step, walk)).json as typeof emails;
      return emails.some((m) => m.text?.includes(link) === true);
    }, DEADLINE_MS, `README.md:${mailbox.n}: the mailbox to hold the walkthrough's result email, linking ${link}`);
    expect(emails.find((m) => m.text?.includes(link) === true)?.html).toContain(`href="${link}"`);
  }, 30_000);

  it('the /metrics line: a bearer token with the operate role is needed, and both demo tokens have it', async () => {
    const line = readDoc(README).find((l) => l.text.includes('metrics at `/metrics`'));
    expect(line?.text).toContain('`operate` role');
    const { banner } = product!;
    const metrics = `${banner.api}/metrics`;
    expect((await fetch(metrics)).status).toBe(401);
    for (const token of [banner.token, banner.approver]) {
      const res = await fetch(metrics, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE');
    }
  });
});

describe('docs/sandbox.md, run as written against npm start', () => {
  let product: Product | undefined;
  let walk: Walk;

  beforeAll(async () => {
    product = await startProduct({});
    walk = walkFor(product.banner);
  }, 40_000);

  afterAll(async () => {
    await product?.stop();
  });

  it('shows the banner npm start prints, line by line', () => {
    const lines = sectionLines('docs/sandbox.md', readDoc(SANDBOX_DOC), '## Sandbox mode in `npm start`');
    const intro = lines.find((l) => l.text.startsWith('The banner ('));
    const block = fencedBlocks(lines).find((b) => intro !== undefined && b.open > intro.n);
    if (block === undefined) throw new Error('docs/sandbox.md: no banner block after "The banner (..."');
    const printed = product!.banner.text.split('\n');
    const fill = (text: string): string => walk.fill(text).replaceAll('redis://127.0.0.1:6379', testRedisUrl());
    block.body.forEach((doc, i) => {
      const pattern = new RegExp(`^${fill(doc.text).split('rpt_...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('rpt_[A-Za-z0-9_.-]+')}$`);
      const actual = printed[i] ?? '(nothing)';
      if (!pattern.test(actual.trimEnd())) throw new Error(`docs/sandbox.md:${doc.n} drifted: the banner shows\n  ${doc.text}\nnpm start prints\n  ${actual}`);
    });
    expect(printed).toHaveLength(block.body.length);
  });

  it('runs the walkthrough, sections 1 to 5: API, ServiceNow and Jira requests succeed, HD-1 is refused, and the write-backs and emails are there', async () => {
    const lines = sectionLines('docs/sandbox.md', readDoc(SANDBOX_DOC), '## Walkthrough: resets from the API, ServiceNow and Jira');
    const steps = walkthroughSteps('docs/sandbox.md', lines, walk.fill);
    expect(steps.filter((s) => s.kind === 'curl').length).toBeGreaterThanOrEqual(20);
    await runAll(steps, walk);
    expect(Object.keys(walk.vars).sort()).toEqual(['A', 'API', 'CA', 'S', 'T']);
  }, 90_000);
});

/** A self-signed RSA certificate and its key in one PEM, as AZURE_CLIENT_CERTIFICATE_PATH wants. */
async function certificatePem(): Promise<string> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=resetpc-docs', keys, signingAlgorithm: algorithm, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000) }, webcrypto);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return `${cert.toString('pem')}\n-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

/** `node dist/workers/main.js` with a tenant and `env`: whether it runs (then SIGTERM), or how it refuses. */
async function startWorker(dir: string, env: Record<string, string>): Promise<{ readonly started: boolean; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly output: string }> {
  const child = spawn(process.execPath, [WORKER], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: uniquePrefix('docsworker'),
      LOG_LEVEL: 'info',
      WORKER_HEALTH_PORT: '0',
      AZURE_TENANT_ID: '11111111-1111-4111-8111-111111111111',
      AZURE_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => {
    done({ code, signal });
  }));
  try {
    await waitFor(() => output.includes('"msg":"reset worker running"') || child.exitCode !== null, 15_000, 'the worker to start or exit');
    const started = child.exitCode === null;
    if (started) child.kill('SIGTERM');
    const { code, signal } = await exit;
    return { started, code, signal, output };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('docs/deploy.md §2: what the worker process needs for each credential kind', () => {
  let dir: string;
  let table: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resetpc-docs-worker-'));
    writeFileSync(join(dir, 'app.pem'), await certificatePem());
    writeFileSync(join(dir, 'federated-token'), 'not-a-real-token');
    const lines = readDoc(DEPLOY_DOC).map((l) => l.text);
    const start = lines.findIndex((l) => l.startsWith('**What a worker needs to start.**'));
    if (start < 0) throw new Error('docs/deploy.md: no "**What a worker needs to start.**" paragraph');
    table = lines.slice(start, lines.indexOf('', lines.findIndex((l, i) => i > start && l.startsWith('|')))).join('\n');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const refusals = [
    { kind: 'client_secret', variable: 'AZURE_CLIENT_SECRET' },
    { kind: 'certificate', variable: 'AZURE_CLIENT_CERTIFICATE_PATH' },
    { kind: 'workload_identity', variable: 'AZURE_FEDERATED_TOKEN_FILE' },
  ];
  it.each(refusals)('$kind without $variable: the worker refuses to start, naming $variable, as the table says', async ({ kind, variable }) => {
    expect(table).toMatch(new RegExp(`\\| \`${kind}\` \\| \`${variable}\``));
    const run = await startWorker(dir, { AZURE_CREDENTIAL_KIND: kind });
    expect(run.started).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toContain(variable);
  }, 20_000);

  const starts: { kind: string; env: (d: string) => Record<string, string> }[] = [
    { kind: 'client_secret', env: () => ({ AZURE_CLIENT_SECRET: 'not-a-real-secret' }) },
    { kind: 'certificate', env: (d) => ({ AZURE_CLIENT_CERTIFICATE_PATH: join(d, 'app.pem') }) },
    { kind: 'workload_identity', env: (d) => ({ AZURE_FEDERATED_TOKEN_FILE: join(d, 'federated-token') }) },
    { kind: 'managed_identity', env: () => ({}) },
  ];
  it.each(starts)('$kind with what the table names, and no client secret unless it is client_secret: the worker starts and stops cleanly', async ({ kind, env }) => {
    expect(table).toContain(`| \`${kind}\` |`);
    const run = await startWorker(dir, { AZURE_CREDENTIAL_KIND: kind, ...env(dir) });
    // The output is in the comparison so that a failure shows what the worker printed (a crash on exit, a slow close).
    expect({ started: run.started, code: run.code, signal: run.signal, output: run.code === 0 ? '' : run.output }).toEqual({ started: true, code: 0, signal: null, output: '' });
  }, 20_000);
});
