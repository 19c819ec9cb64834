/**
 * The notification templates, read from files (src/notify/templates/*.txt, *.html) once per process. The build
 * (tsc) does not copy them: from dist/ they are read from the source tree next to it, so a deployment ships
 * src/notify/templates with dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate } from './render';

export const TEMPLATE_FILES = ['subject.txt', 'body.txt', 'body.html', 'close-notes.txt'] as const;
export type TemplateName = (typeof TEMPLATE_FILES)[number];
export type Templates = Readonly<Record<TemplateName, ReturnType<typeof parseTemplate>>>;

/** src/notify/templates, from the source tree or from dist/src/notify. */
export function templateDir(): string {
  const candidates = [join(__dirname, 'templates'), join(__dirname, '..', '..', '..', 'src', 'notify', 'templates')];
  const found = candidates.find((dir) => existsSync(join(dir, 'body.txt')));
  if (found === undefined) throw new Error(`the notification templates are missing (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: Templates | undefined;

/** Reads and parses every template (a broken template fails here, at start-up, not in a delivery). */
export function loadTemplates(dir: string = templateDir()): Templates {
  if (cached !== undefined && dir === templateDir()) return cached;
  const parsed = Object.fromEntries(TEMPLATE_FILES.map((name) => [name, parseTemplate(readFileSync(join(dir, name), 'utf8'))])) as Templates;
  if (dir === templateDir()) cached = parsed;
  return parsed;
}
