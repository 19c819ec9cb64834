import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../src/config/load';
import { configSchema, tenantCredentialProblem } from '../../src/config/schema';

function problems(vars: Record<string, string>): readonly string[] {
  try {
    parseConfig(vars);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('starts on safe embedded defaults with nothing set', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: '{resetpc}', LOG_LEVEL: 'info', TRUST_PROXY: false });
    expect(config.API_TOKENS).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every problem by variable name, in one message', () => {
    const found = problems({ PORT: 'eighty', REDIS_URL: 'http://redis', LOG_LEVEL: 'loud', JIRA_WEBHOOK_SECRET: 'short', TRUST_PROXY: 'maybe' });
    expect(found.map((p) => p.split(':')[0])).toEqual(['JIRA_WEBHOOK_SECRET', 'LOG_LEVEL', 'PORT', 'REDIS_URL', 'TRUST_PROXY']);
    try {
      parseConfig({ PORT: 'eighty', REDIS_URL: 'http://redis' });
    } catch (err) {
      expect((err as Error).message).toMatch(/^Invalid configuration:\n {2}- PORT: .+\n {2}- REDIS_URL: must start with redis:\/\/ or rediss:\/\/$/);
    }
  });

  it('never echoes a value, which may be a secret', () => {
    const found = problems({ JIRA_WEBHOOK_SECRET: 'hunter2', API_TOKENS: '[{"name":"x","roles":["root"],"sha256":"s3cr3t"}]' });
    expect(found.join('\n')).not.toMatch(/hunter2|s3cr3t/);
  });

  it('parses API_TOKENS as a JSON list of names, roles and SHA-256 hashes', () => {
    const sha = 'a'.repeat(64);
    expect(parseConfig({ API_TOKENS: JSON.stringify([{ name: 'helpdesk-bot', roles: ['submit'], sha256: sha }]) }).API_TOKENS).toEqual([
      { name: 'helpdesk-bot', roles: ['submit'], sha256: sha },
    ]);
    expect(problems({ API_TOKENS: 'helpdesk-bot:submit' })).toEqual(['API_TOKENS: must be a JSON array (see docs/configuration.md)']);
    expect(problems({ API_TOKENS: JSON.stringify([{ name: 'a', roles: ['submit'], sha256: sha }, { name: 'a', roles: ['admin'], sha256: sha }]) })).toEqual([
      'API_TOKENS: token names must be unique',
    ]);
  });

  it('requires the Jira dedupe window to outlast the stale tolerance', () => {
    expect(problems({ JIRA_WEBHOOK_TOLERANCE_SECONDS: '3600', JIRA_WEBHOOK_DEDUPE_TTL_SECONDS: '1800' })[0]).toMatch(/^JIRA_WEBHOOK_DEDUPE_TTL_SECONDS: must be longer/);
  });

  it('asks a worker for a client secret only when the credential kind is client_secret', () => {
    const tenant = { AZURE_TENANT_ID: '11111111-1111-4111-8111-111111111111', AZURE_CLIENT_ID: '22222222-2222-4222-8222-222222222222' };
    expect(tenantCredentialProblem(parseConfig(tenant))).toMatch(/^AZURE_CLIENT_SECRET: required/);
    expect(tenantCredentialProblem(parseConfig({ ...tenant, AZURE_CLIENT_SECRET: 's3cret-value' }))).toBeUndefined();
    expect(tenantCredentialProblem(parseConfig({ ...tenant, AZURE_CREDENTIAL_KIND: 'managed_identity' }))).toBeUndefined();
    expect(tenantCredentialProblem(parseConfig({}))).toMatch(/^AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET: required/);
  });

  it('requires the request budget to be more than twice the write budget: each write and the read it covers are in it', () => {
    expect(problems({ GRAPH_WRITE_BUDGET: '500', GRAPH_READ_BUDGET: '500' })[0]).toMatch(/^GRAPH_READ_BUDGET: must be more than twice GRAPH_WRITE_BUDGET/);
    expect(problems({ GRAPH_WRITE_BUDGET: '500', GRAPH_READ_BUDGET: '1000' })[0]).toMatch(/^GRAPH_READ_BUDGET: must be more than twice GRAPH_WRITE_BUDGET/);
    expect(parseConfig({ GRAPH_WRITE_BUDGET: '500', GRAPH_READ_BUDGET: '1001' })).toMatchObject({ GRAPH_WRITE_BUDGET: 500, GRAPH_READ_BUDGET: 1001 });
  });

  it('requires the Jira projects once the Jira webhook is enabled, so no project triggers resets by accident', () => {
    expect(problems({ JIRA_WEBHOOK_SECRET: 'a-long-enough-secret-value' })).toEqual([
      'JIRA_PROJECTS: required when JIRA_WEBHOOK_SECRET is set: name the projects whose issues may request resets',
    ]);
    expect(parseConfig({ JIRA_WEBHOOK_SECRET: 'a-long-enough-secret-value', JIRA_PROJECTS: 'HD, IT' }).JIRA_PROJECTS).toEqual(['HD', 'IT']);
  });

  it('times out slow clients by default, and keeps the headers timeout within the request timeout', () => {
    expect(parseConfig({})).toMatchObject({ REQUEST_TIMEOUT_MS: 30_000, HEADERS_TIMEOUT_MS: 10_000, CONNECTION_IDLE_TIMEOUT_MS: 60_000, KEEP_ALIVE_TIMEOUT_MS: 72_000 });
    expect(problems({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toEqual(['HEADERS_TIMEOUT_MS: must be at most REQUEST_TIMEOUT_MS: the headers are part of the request']);
    expect(problems({ REQUEST_TIMEOUT_MS: '0' })).toContain('REQUEST_TIMEOUT_MS: must be at least 1000');
  });

  it('requires the Redis prefix to be a Cluster hash tag', () => {
    expect(problems({ REDIS_PREFIX: 'resetpc' })[0]).toMatch(/^REDIS_PREFIX: must be a Redis Cluster hash tag/);
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig({ PORT: '', JIRA_WEBHOOK_SECRET: '' })).toMatchObject({ PORT: 3000 });
  });

  it('documents every variable in docs/configuration.md and .env.example', () => {
    const names = Object.keys(configSchema.shape);
    const reference = readFileSync('docs/configuration.md', 'utf8');
    const example = readFileSync('.env.example', 'utf8');
    for (const name of names) {
      expect(reference).toContain(`\`${name}\``);
      expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });
});
