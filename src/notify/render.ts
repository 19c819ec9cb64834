/**
 * A tiny template renderer (a subset of Mustache): `{{name}}` inserts a value, escaped for the output format;
 * `{{#name}}…{{/name}}` shows its body when the value is true, a non-empty string or a non-empty list (once per
 * item, the item being `{{.}}`); `{{^name}}…{{/name}}` shows it when the value is false or empty. A tag alone on its
 * line takes the line with it. An unknown name is an error, so a typo in a template fails a test, not an email.
 */
import { escapeHtml } from '../text/escape-html';

export type TemplateValue = string | boolean | readonly string[];
export type TemplateValues = Readonly<Record<string, TemplateValue>>;
export type Escape = (text: string) => string;

export class TemplateError extends Error {
  readonly code = 'template_error';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** For HTML output, the product's one HTML escaper (src/text/escape-html.ts); for text, none. */
export { escapeHtml };
export const noEscape: Escape = (text) => text;

type Node = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'var'; readonly name: string } | { readonly kind: 'section'; readonly name: string; readonly inverted: boolean; readonly body: readonly Node[] };

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9_]*|\.)\s*\}\}/g;
/** A section tag alone on its line: the line's indentation and its end go with the tag. */
const STANDALONE = /^[ \t]*(\{\{\s*[#^/]\s*[A-Za-z][A-Za-z0-9_]*\s*\}\})[ \t]*\r?\n/gm;

export function parseTemplate(source: string): readonly Node[] {
  const text = source.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const stack: { name: string; inverted: boolean; body: Node[] }[] = [];
  const current = (): Node[] => stack.at(-1)?.body ?? root;
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const [whole, sigil = '', name = ''] = match;
    if (match.index > last) current().push({ kind: 'text', text: text.slice(last, match.index) });
    last = match.index + whole.length;
    if (sigil === '#' || sigil === '^') {
      stack.push({ name, inverted: sigil === '^', body: [] });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (open?.name !== name) throw new TemplateError(`{{/${name}}} closes ${open === undefined ? 'nothing' : `{{#${open.name}}}`}`);
      current().push({ kind: 'section', name, inverted: open.inverted, body: open.body });
    } else {
      current().push({ kind: 'var', name });
    }
  }
  if (stack.length > 0) throw new TemplateError(`{{#${stack.at(-1)?.name ?? ''}}} is never closed`);
  if (last < text.length) root.push({ kind: 'text', text: text.slice(last) });
  return root;
}

function truthy(value: TemplateValue): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== false && value !== '';
}

function lookup(values: TemplateValues, name: string, item: string | undefined): TemplateValue {
  if (name === '.') {
    if (item === undefined) throw new TemplateError('{{.}} is only valid inside a list section');
    return item;
  }
  if (!Object.hasOwn(values, name)) throw new TemplateError(`the template uses {{${name}}}, which is not a known value`);
  return values[name] as TemplateValue;
}

function renderNodes(nodes: readonly Node[], values: TemplateValues, escape: Escape, item: string | undefined): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text;
    } else if (node.kind === 'var') {
      const value = lookup(values, node.name, item);
      if (typeof value !== 'string') throw new TemplateError(`{{${node.name}}} is not text: use it as a section`);
      out += escape(value);
    } else {
      const value = lookup(values, node.name, item);
      if (node.inverted) {
        if (!truthy(value)) out += renderNodes(node.body, values, escape, item);
      } else if (Array.isArray(value)) {
        for (const each of value as readonly string[]) out += renderNodes(node.body, values, escape, each);
      } else if (truthy(value)) {
        out += renderNodes(node.body, values, escape, item);
      }
    }
  }
  return out;
}

/** Renders a parsed template. `escape` is applied to every inserted value (escapeHtml for HTML). */
export function render(template: readonly Node[], values: TemplateValues, escape: Escape): string {
  return renderNodes(template, values, escape, undefined);
}
