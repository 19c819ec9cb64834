/**
 * Server-side HTML with escaping by default: every value put into an `html` template is escaped unless it is itself
 * the result of `html` (SafeHtml). There is no other way to build page markup in src/ops. The escaping is the
 * product's one HTML escaper (src/text/escape-html.ts).
 */
import { escapeHtml } from '../text/escape-html';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: readonly Part[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** A query string from defined, non-empty values (each encoded). */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${String(Math.round(seconds * 1000))} ms`;
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** ISO time shown in UTC, to the second; the element carries the machine value for the browser script. */
export function time(iso: string | number): SafeHtml {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`<span>–</span>`;
  const text = d.toISOString().replace('T', ' ').slice(0, 19);
  return html`<time datetime="${d.toISOString()}">${text} UTC</time>`;
}
