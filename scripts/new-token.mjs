// Creates an API token: prints the token once (give it to the caller) and the API_TOKENS entry (configure it).
// Usage: npm run token:new -- <name> <role>[,<role>...]    roles: submit, ticket, approve, operate, admin
import { createHash, randomBytes } from 'node:crypto';

const [name, rolesArg] = process.argv.slice(2);
const allowed = new Set(['submit', 'ticket', 'approve', 'operate', 'admin']);
const roles = (rolesArg ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
if (name === undefined || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name) || roles.length === 0 || roles.some((r) => !allowed.has(r))) {
  process.stderr.write('Usage: npm run token:new -- <name> <role>[,<role>...]   (roles: submit, ticket, approve, operate, admin)\n');
  process.exit(2);
}
const token = `rpt_${randomBytes(32).toString('base64url')}`;
const sha256 = createHash('sha256').update(token, 'utf8').digest('hex');
process.stdout.write(`Token (shown once; store it in the caller's secret store):\n  ${token}\n\n`);
process.stdout.write(`API_TOKENS entry (add it to the JSON array):\n  ${JSON.stringify({ name, roles, sha256 })}\n`);
