/**
 * The doctor's findings and how they are printed. A finding is one check: ok, warn (works, but worth fixing), fail
 * (the product will not work as configured) or skip (not configured). Every failure says how to fix it.
 * The printed report never holds a secret: every configured secret value is blanked before anything is printed.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id, e.g. `entra.sign-in`, for scripts and tests. */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a warn or a fail. */
  readonly fix?: string;
}

export const ok = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'ok', detail });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });
export const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });
export const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });

const MARK: Readonly<Record<CheckStatus, string>> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** Replaces every secret (at least 4 characters long) in `text`. */
export function blankSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  const values = secrets.filter((s): s is string => s !== undefined && s.length >= 4).sort((a, b) => b.length - a.length);
  for (const secret of values) out = out.replaceAll(secret, '[secret]');
  return out;
}

/** The report as text: one line per check, its fix indented below, and a summary line. */
export function formatReport(results: readonly CheckResult[], secrets: readonly (string | undefined)[]): string {
  const lines = ['resetpc doctor: checks the configuration against the real systems; it only reads and changes nothing.', ''];
  for (const r of results) {
    lines.push(`${MARK[r.status]}  ${r.title}: ${r.detail}`);
    if (r.fix !== undefined && (r.status === 'fail' || r.status === 'warn')) lines.push(`      fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push('');
  lines.push(
    failed === 0
      ? `All checks passed${warned === 0 ? '' : ` (${warned} warning${warned === 1 ? '' : 's'})`}.`
      : `${failed} problem${failed === 1 ? '' : 's'} found${warned === 0 ? '' : `, ${warned} warning${warned === 1 ? '' : 's'}`}: see the FAIL lines above.`,
  );
  return `${blankSecrets(lines.join('\n'), secrets)}\n`;
}

/** 0 when nothing failed, else 1. Warnings and skipped checks do not fail the run. */
export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
