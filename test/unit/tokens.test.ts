import { TokenRegistry, generateToken, hasRole, sha256Hex } from '../../src/auth/tokens';

describe('API tokens', () => {
  const token = generateToken();
  const registry = new TokenRegistry([
    { name: 'helpdesk-bot', roles: ['submit'], sha256: sha256Hex(token) },
    { name: 'ops', roles: ['admin'], sha256: sha256Hex('rpt_ops-token-value-000000000000') },
  ]);

  it('finds the caller by the hash of the presented token', () => {
    expect(registry.authenticate(token)?.name).toBe('helpdesk-bot');
    expect(registry.authenticate('rpt_ops-token-value-000000000000')?.name).toBe('ops');
  });

  it('refuses an unknown token, a prefix of a real one, and the stored hash itself', () => {
    expect(registry.authenticate('rpt_unknown')).toBeUndefined();
    expect(registry.authenticate(token.slice(0, -1))).toBeUndefined();
    expect(registry.authenticate(sha256Hex(token))).toBeUndefined();
  });

  it('names the current caller of a token name (a dashboard session checks it on every request), and no one once removed', () => {
    expect(registry.byName('helpdesk-bot')).toEqual({ name: 'helpdesk-bot', roles: new Set(['submit']) });
    expect(registry.byName('former-admin')).toBeUndefined();
  });

  it('gives admin every role', () => {
    const ops = registry.authenticate('rpt_ops-token-value-000000000000');
    const bot = registry.authenticate(token);
    expect(ops && ['submit', 'approve', 'operate'].every((r) => hasRole(ops, r as 'submit'))).toBe(true);
    expect(bot && hasRole(bot, 'approve')).toBe(false);
  });

  it('generates 256-bit URL-safe tokens', () => {
    expect(generateToken()).toMatch(/^rpt_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(generateToken());
  });
});
