/**
 * The markup of the systems a notification is written to, made inert in the values that came from outside the
 * product: device names (set by end users, reported by Intune), requesters, approvers, reasons, platforms and
 * candidates. The product's own words and links, and ticket keys (strict formats), are never passed through here.
 * Pure functions, tested as a table (test/unit/ticket-markup.test.ts).
 *
 * - Every text channel: a value is one line (line breaks and other control characters become spaces) and carries no
 *   bidirectional controls, so it can neither start a line of its own nor reorder the words around it.
 * - ServiceNow journal fields (work notes, comments) escape HTML, except between `[code]` and `[/code]`, which they
 *   render as HTML while `glide.ui.security.allow_codetag` is true (its default). The bracket that opens such a tag,
 *   in any case and with any spaces, becomes a full-width bracket (U+FF3B).
 * - Jira wiki markup (the plain-text body of a JSM request comment): each of the characters Jira's renderer lets a
 *   backslash escape (- # * _ + ? ^ ~ | % { } [ ] ( ) ! @) is escaped. A backslash itself cannot be escaped (two make
 *   a line break), so it becomes a full-width reverse solidus (U+FF3C). A URL scheme's colon becomes `[:]`, so no
 *   address from outside becomes a link.
 */

const LINE_BREAKS_AND_CONTROLS = /[\p{Cc}\u2028\u2029]/gu;
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** One line of plain text: control characters and line separators become spaces; bidi controls are dropped. */
export function oneLine(value: string): string {
  return value.replace(LINE_BREAKS_AND_CONTROLS, ' ').replace(BIDI_CONTROLS, '');
}

/** The `[` of `[code]` or `[/code]`, in any case and with any whitespace inside (`[ / CODE ]`). */
const CODE_TAG_OPENING = /\[(?=\s*\/?\s*code)/giu;

/** Breaks every ServiceNow `[code]` / `[/code]` tag in a text: ServiceNow shows it as text, not as HTML. */
export function breakCodeTags(text: string): string {
  return text.replace(CODE_TAG_OPENING, '\uff3b');
}

/** A value for a ServiceNow journal entry or close notes. */
export function neutraliseServiceNowMarkup(value: string): string {
  return breakCodeTags(oneLine(value));
}

/** The characters Jira's wiki renderer treats as escaped when a backslash precedes them. */
const JIRA_WIKI_ESCAPABLE = /[-#*_+?^~|%{}[\]()!@]/g;
/** Schemes Jira turns into links when written bare. */
const URL_SCHEME = /(https?|ftp|file|irc|nntp|news|mailto|sftp|ssh|telnet):/giu;

/** A value for a Jira wiki-markup text: shown exactly as written, never as formatting, a macro, a link or an image. */
export function escapeJiraWiki(value: string): string {
  return oneLine(value)
    .replaceAll('\\', '\uff3c')
    .replace(URL_SCHEME, '$1[:]')
    .replace(JIRA_WIKI_ESCAPABLE, '\\$&');
}
