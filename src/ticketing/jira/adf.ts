/**
 * A tiny builder for the Atlassian Document Format that Jira Cloud's REST v3 takes as a comment body
 * (developer.atlassian.com/cloud/jira/platform/apis/document/structure). Plain text goes into text nodes as it is:
 * ADF is JSON, so nothing needs escaping, but empty text nodes are invalid and are dropped.
 */

export type AdfMark = { readonly type: 'strong' | 'em' | 'code' | 'strike' | 'underline' } | { readonly type: 'link'; readonly attrs: { readonly href: string } };
export type AdfInline = { readonly type: 'text'; readonly text: string; readonly marks?: readonly AdfMark[] } | { readonly type: 'hardBreak' };
export type AdfBlock =
  | { readonly type: 'paragraph'; readonly content: readonly AdfInline[] }
  | { readonly type: 'heading'; readonly attrs: { readonly level: 1 | 2 | 3 | 4 | 5 | 6 }; readonly content: readonly AdfInline[] }
  | { readonly type: 'bulletList'; readonly content: readonly AdfListItem[] }
  | { readonly type: 'codeBlock'; readonly content: readonly AdfInline[] };
export interface AdfListItem {
  readonly type: 'listItem';
  readonly content: readonly AdfBlock[];
}
export interface AdfDoc {
  readonly version: 1;
  readonly type: 'doc';
  readonly content: readonly AdfBlock[];
}

/** A string becomes a plain text node; empty strings are dropped (ADF forbids empty text). */
export type InlineInput = AdfInline | string;

function inlines(parts: readonly InlineInput[]): AdfInline[] {
  return parts.map((p) => (typeof p === 'string' ? text(p) : p)).filter((n) => n.type !== 'text' || n.text !== '');
}

export function text(value: string, ...marks: AdfMark[]): AdfInline {
  return marks.length === 0 ? { type: 'text', text: value } : { type: 'text', text: value, marks };
}

export const strong = (value: string): AdfInline => text(value, { type: 'strong' });
export const em = (value: string): AdfInline => text(value, { type: 'em' });
export const code = (value: string): AdfInline => text(value, { type: 'code' });
export const hardBreak = (): AdfInline => ({ type: 'hardBreak' });

/** A link: the text, with a link mark to `href` (only http, https and mailto addresses). */
export function link(value: string, href: string): AdfInline {
  if (!/^(https?:\/\/|mailto:)/i.test(href)) throw new RangeError('an ADF link must be an http(s) or mailto address');
  return text(value === '' ? href : value, { type: 'link', attrs: { href } });
}

export const paragraph = (...parts: InlineInput[]): AdfBlock => ({ type: 'paragraph', content: inlines(parts) });

export const heading = (level: 1 | 2 | 3 | 4 | 5 | 6, ...parts: InlineInput[]): AdfBlock => ({ type: 'heading', attrs: { level }, content: inlines(parts) });

/** A bullet list; each item is a paragraph of the given inlines. */
export const bulletList = (...items: (readonly InlineInput[] | InlineInput)[]): AdfBlock => ({
  type: 'bulletList',
  content: items.map((item) => ({ type: 'listItem', content: [paragraph(...(Array.isArray(item) ? (item as readonly InlineInput[]) : [item as InlineInput]))] })),
});

export const codeBlock = (value: string): AdfBlock => ({ type: 'codeBlock', content: value === '' ? [] : [{ type: 'text', text: value }] });

export const doc = (...blocks: AdfBlock[]): AdfDoc => ({ version: 1, type: 'doc', content: blocks });

/** The builder as one object: `adf.doc(adf.paragraph('See ', adf.link('the device', url)))`. */
export const adf = { doc, paragraph, heading, bulletList, codeBlock, text, strong, em, code, link, hardBreak } as const;
