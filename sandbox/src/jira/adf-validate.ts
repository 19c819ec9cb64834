/**
 * A strict subset of the Atlassian Document Format (developer.atlassian.com/cloud/jira/platform/apis/document/structure):
 * what Jira would refuse, the sandbox refuses too, naming the first problem by its path in the document.
 *
 * Blocks: paragraph, heading (attrs.level 1-6), bulletList / orderedList of listItem, codeBlock (attrs.language).
 * Inlines: text (non-empty, with marks strong, em, code, strike, underline, link {href}), hardBreak.
 * The `code` mark combines with no mark but `link`; a mark appears at most once on a node.
 */

type Obj = Record<string, unknown>;

class AdfError extends Error {}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(path: string, message: string): never {
  throw new AdfError(`${path === '' ? 'document' : path}: ${message}`);
}

function onlyKeys(node: Obj, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(node)) if (!allowed.includes(key)) fail(path, `unexpected property "${key}"`);
}

function contentOf(node: Obj, path: string, required: boolean): unknown[] {
  if (!('content' in node)) {
    if (required) fail(path, 'content is required');
    return [];
  }
  if (!Array.isArray(node.content)) fail(path, 'content must be an array');
  if (required && node.content.length === 0) fail(path, 'content must not be empty');
  return node.content as unknown[];
}

const SIMPLE_MARKS = new Set(['strong', 'em', 'code', 'strike', 'underline']);

function validateMarks(marks: unknown, path: string): void {
  if (!Array.isArray(marks)) fail(path, 'marks must be an array');
  const seen = new Set<string>();
  for (const [i, mark] of (marks as unknown[]).entries()) {
    const at = `${path}[${i}]`;
    if (!isObj(mark) || typeof mark.type !== 'string') fail(at, 'a mark needs a type');
    if (seen.has(mark.type)) fail(at, `mark "${mark.type}" appears twice`);
    seen.add(mark.type);
    if (mark.type === 'link') {
      onlyKeys(mark, at, ['type', 'attrs']);
      const attrs = mark.attrs;
      if (!isObj(attrs) || typeof attrs.href !== 'string' || attrs.href === '') fail(at, 'a link mark needs attrs.href');
      onlyKeys(attrs, `${at}.attrs`, ['href', 'title', 'id', 'collection', 'occurrenceKey']);
    } else if (SIMPLE_MARKS.has(mark.type)) {
      onlyKeys(mark, at, ['type']);
    } else {
      fail(at, `unknown mark "${mark.type}"`);
    }
  }
  if (seen.has('code') && [...seen].some((t) => t !== 'code' && t !== 'link')) fail(path, 'the code mark combines only with link');
}

function validateInline(node: unknown, path: string, allowMarks: boolean): void {
  if (!isObj(node) || typeof node.type !== 'string') fail(path, 'a node needs a type');
  switch (node.type) {
    case 'text':
      onlyKeys(node, path, ['type', 'text', 'marks']);
      if (typeof node.text !== 'string' || node.text === '') fail(path, 'a text node needs non-empty text');
      if ('marks' in node) {
        if (!allowMarks) fail(path, 'marks are not allowed here');
        validateMarks(node.marks, `${path}.marks`);
      }
      return;
    case 'hardBreak':
      onlyKeys(node, path, ['type', 'attrs']);
      return;
    default:
      fail(path, `"${node.type}" is not allowed here`);
  }
}

function validateBlock(node: unknown, path: string, depth: number): void {
  if (depth > 32) fail(path, 'the document is nested too deeply');
  if (!isObj(node) || typeof node.type !== 'string') fail(path, 'a node needs a type');
  const kids = (required: boolean) => contentOf(node, path, required).map((child, i) => ({ child, at: `${path}.content[${i}]` }));
  switch (node.type) {
    case 'paragraph':
      onlyKeys(node, path, ['type', 'content', 'attrs']);
      for (const { child, at } of kids(false)) validateInline(child, at, true);
      return;
    case 'heading': {
      onlyKeys(node, path, ['type', 'content', 'attrs']);
      const level = isObj(node.attrs) ? node.attrs.level : undefined;
      if (typeof level !== 'number' || !Number.isInteger(level) || level < 1 || level > 6) fail(path, 'a heading needs attrs.level from 1 to 6');
      for (const { child, at } of kids(false)) validateInline(child, at, true);
      return;
    }
    case 'codeBlock':
      onlyKeys(node, path, ['type', 'content', 'attrs']);
      for (const { child, at } of kids(false)) {
        if (!isObj(child) || child.type !== 'text') fail(at, 'a codeBlock holds only text');
        validateInline(child, at, false);
      }
      return;
    case 'bulletList':
    case 'orderedList':
      onlyKeys(node, path, ['type', 'content', 'attrs']);
      for (const { child, at } of kids(true)) {
        if (!isObj(child) || child.type !== 'listItem') fail(at, `a ${node.type} holds only listItem nodes`);
        validateBlock(child, at, depth + 1);
      }
      return;
    case 'listItem':
      onlyKeys(node, path, ['type', 'content', 'attrs']);
      for (const { child, at } of kids(true)) {
        const type = isObj(child) ? child.type : undefined;
        if (type !== 'paragraph' && type !== 'bulletList' && type !== 'orderedList' && type !== 'codeBlock') fail(at, 'a listItem holds paragraphs, lists or code blocks');
        validateBlock(child, at, depth + 1);
      }
      return;
    default:
      fail(path, `"${node.type}" is not a block node`);
  }
}

/** Undefined when `doc` is a valid ADF document; else the first problem, e.g. `content[0].content[1]: unknown mark "bold"`. */
export function adfProblem(doc: unknown): string | undefined {
  try {
    if (!isObj(doc)) fail('', 'the body must be an ADF document object');
    onlyKeys(doc, '', ['version', 'type', 'content']);
    if (doc.version !== 1) fail('', 'version must be 1');
    if (doc.type !== 'doc') fail('', 'type must be "doc"');
    if (!Array.isArray(doc.content)) fail('', 'content must be an array');
    for (const [i, block] of (doc.content as unknown[]).entries()) validateBlock(block, `content[${i}]`, 0);
    return undefined;
  } catch (e) {
    if (e instanceof AdfError) return e.message;
    throw e;
  }
}
