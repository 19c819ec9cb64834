/**
 * One notification's words, for every channel, from the facts and the templates: the subject, the text (the email's
 * text part), the HTML (the email's HTML part, every value escaped), the ADF comment for Jira (built from the text:
 * paragraphs, bullet lists, and links to the product's own addresses only), the ServiceNow journal text and close
 * notes, and the JSM comment in wiki markup. Values from outside the product are made inert for each system's markup
 * (./markup.ts); the templates' own words and the product's links are written as they are.
 */
import { adf, type AdfBlock, type AdfDoc, type AdfInline } from '../ticketing/jira/adf';
import type { NotificationFacts } from './facts';
import { breakCodeTags, escapeJiraWiki, neutraliseServiceNowMarkup, oneLine } from './markup';
import { escapeHtml, noEscape, render, type Escape, type TemplateValues } from './render';
import { loadTemplates, type Templates } from './templates';

export interface NotificationMessage {
  readonly subject: string;
  /** Plain text: the email's text part. */
  readonly text: string;
  readonly html: string;
  readonly adf: AdfDoc;
  /** ServiceNow work notes and comments: no live `[code]` tag. */
  readonly serviceNowText: string;
  /** ServiceNow close notes, on one line: no live `[code]` tag. */
  readonly closeNotes: string;
  /** A JSM request comment, which Jira renders as wiki markup: every value from outside escaped. */
  readonly jiraWikiText: string;
}

/**
 * The facts the product makes itself (ids, times, its own words and links) or checked against a strict format at
 * every edge (ticket keys: JIRA_ISSUE_KEY, SERVICENOW_NUMBER; written as they are, so Jira still links an issue key).
 * Every other value came from outside and is neutralised.
 */
const PRODUCT_FACTS: ReadonlySet<string> = new Set([
  'requestId', 'event', 'kind', 'outcome', 'headline', 'requestedAt', 'outcomeAt', 'passcodeVisibleUntil', 'approvalDeadline', 'reasonCode', 'adminCenterUrl', 'dashboardUrl', 'docsUrl',
  'ticket', 'ticketKey', 'linkedTicket', 'effect',
] satisfies (keyof NotificationFacts)[]);

/** The template values with every value from outside passed through `neutralise`. */
function valuesFor(facts: NotificationFacts, neutralise: Escape): TemplateValues {
  return Object.fromEntries(
    Object.entries(templateValues(facts)).map(([name, value]) => {
      if (typeof value === 'boolean' || PRODUCT_FACTS.has(name)) return [name, value];
      return [name, typeof value === 'string' ? neutralise(value) : value.map(neutralise)];
    }),
  );
}

export function templateValues(facts: NotificationFacts): TemplateValues {
  return {
    ...facts,
    success: facts.kind === 'success',
    failure: facts.kind === 'failure',
    progress: facts.kind === 'progress',
  };
}

/** Text output: no trailing spaces, at most one blank line in a row, no leading or trailing blank lines. */
function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"]+/g;

/** A line as ADF inlines: text, and a link for each of `links` (the product's own addresses); any other URL is text. */
function inlineWithLinks(line: string, links: ReadonlySet<string>): AdfInline[] {
  const parts: AdfInline[] = [];
  let last = 0;
  for (const match of line.matchAll(URL_IN_TEXT)) {
    if (!links.has(match[0])) continue;
    if (match.index > last) parts.push(adf.text(line.slice(last, match.index)));
    parts.push(adf.link(match[0], match[0]));
    last = match.index + match[0].length;
  }
  if (last < line.length) parts.push(adf.text(line.slice(last)));
  return parts.filter((p) => p.type !== 'text' || p.text !== '');
}

/**
 * The text as ADF: blank-line separated blocks; "- " lines make a bullet list; other lines are joined by breaks. Only
 * the URLs in `links` become links: an address that came in a value from outside stays text.
 */
export function textToAdf(text: string, links: readonly string[]): AdfDoc {
  const linkable = new Set(links.filter((l) => l !== ''));
  const blocks: AdfBlock[] = [];
  for (const block of text.split(/\n{2,}/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    let paragraph: AdfInline[] = [];
    let bullets: AdfInline[][] = [];
    const flushParagraph = (): void => {
      if (paragraph.length > 0) blocks.push(adf.paragraph(...paragraph));
      paragraph = [];
    };
    const flushBullets = (): void => {
      if (bullets.length > 0) blocks.push(adf.bulletList(...bullets));
      bullets = [];
    };
    for (const line of lines) {
      if (line.startsWith('- ')) {
        flushParagraph();
        bullets.push(inlineWithLinks(line.slice(2), linkable));
      } else {
        flushBullets();
        if (paragraph.length > 0) paragraph.push(adf.hardBreak());
        paragraph.push(...inlineWithLinks(line, linkable));
      }
    }
    flushParagraph();
    flushBullets();
  }
  return adf.doc(...blocks);
}

export function composeMessage(facts: NotificationFacts, templates: Templates = loadTemplates()): NotificationMessage {
  const plain = valuesFor(facts, oneLine);
  const serviceNow = valuesFor(facts, neutraliseServiceNowMarkup);
  const text = tidy(render(templates['body.txt'], plain, noEscape));
  return {
    subject: render(templates['subject.txt'], plain, noEscape).replace(/\s+/g, ' ').trim(),
    text,
    html: render(templates['body.html'], templateValues(facts), escapeHtml),
    adf: textToAdf(text, [facts.adminCenterUrl, facts.dashboardUrl, facts.docsUrl]),
    // Checked once more as a whole: no tag can be formed across a value and the template either.
    serviceNowText: breakCodeTags(tidy(render(templates['body.txt'], serviceNow, noEscape))),
    closeNotes: breakCodeTags(tidy(render(templates['close-notes.txt'], serviceNow, noEscape)).replace(/\s+/g, ' ')),
    jiraWikiText: tidy(render(templates['body.txt'], valuesFor(facts, escapeJiraWiki), noEscape)),
  };
}
