import type { Log } from '../../src/logging/logger';

/** A logger that keeps its lines, to check what an operator would read. */
export function keptLog(): Log & { readonly lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
