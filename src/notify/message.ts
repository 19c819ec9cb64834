/**
 * One notification's words, for every channel, from the facts and the templates: the subject, the text (ServiceNow
 * journal entries, JSM comments, the email's text part), the HTML (the email's HTML part, every value escaped), the
 * ADF comment for Jira (built from the text: paragraphs, bullet lists, links), and the close notes of a ticket.
 */
import { adf, type AdfBlock, type AdfDoc, type AdfInline } from '../ticketing/jira/adf';
import type { NotificationFacts } from './facts';
import { escapeHtml, noEscape, render, type TemplateValues } from './render';
import { loadTemplates, type Templates } from './templates';

export interface NotificationMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly adf: AdfDoc;
  readonly closeNotes: string;
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

function inlineWithLinks(line: string): AdfInline[] {
  const parts: AdfInline[] = [];
  let last = 0;
  for (const match of line.matchAll(URL_IN_TEXT)) {
    if (match.index > last) parts.push(adf.text(line.slice(last, match.index)));
    parts.push(adf.link(match[0], match[0]));
    last = match.index + match[0].length;
  }
  if (last < line.length) parts.push(adf.text(line.slice(last)));
  return parts.filter((p) => p.type !== 'text' || p.text !== '');
}

/** The text as ADF: blank-line separated blocks; "- " lines make a bullet list; other lines are joined by breaks. */
export function textToAdf(text: string): AdfDoc {
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
        bullets.push(inlineWithLinks(line.slice(2)));
      } else {
        flushBullets();
        if (paragraph.length > 0) paragraph.push(adf.hardBreak());
        paragraph.push(...inlineWithLinks(line));
      }
    }
    flushParagraph();
    flushBullets();
  }
  return adf.doc(...blocks);
}

export function composeMessage(facts: NotificationFacts, templates: Templates = loadTemplates()): NotificationMessage {
  const values = templateValues(facts);
  const text = tidy(render(templates['body.txt'], values, noEscape));
  return {
    subject: render(templates['subject.txt'], values, noEscape).replace(/\s+/g, ' ').trim(),
    text,
    html: render(templates['body.html'], values, escapeHtml),
    adf: textToAdf(text),
    closeNotes: tidy(render(templates['close-notes.txt'], values, noEscape)).replace(/\s+/g, ' '),
  };
}
