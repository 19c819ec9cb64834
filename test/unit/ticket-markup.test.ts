import fc from 'fast-check';
import { breakCodeTags, escapeJiraWiki, neutraliseServiceNowMarkup, oneLine } from '../../src/notify/markup';

/**
 * The markup a ticket system interprets, made inert in values from outside the product (issue 10, finding 5).
 *
 * Sources:
 * - ServiceNow, "Render journal field entries as HTML" (docs, platform-administration/render-journal-field-entries-as-html):
 *   journal fields escape HTML, but render text between `[code]` and `[/code]` as HTML while
 *   `glide.ui.security.allow_codetag` is true, its default.
 * - ServiceNow, "Disable embedded HTML code" (platform-security/instance-security-hardening-settings/
 *   sc-allow-embedded-html-code): the tag renders HTML "in journal fields and forms" and "may lead to cross-site
 *   scripting"; `glide.ui.security.codetag.allow_script` only strips known script conventions.
 * - ServiceNow, "Universal Request" set-up (employee-service-management/.../setup-configure-ur): writes the tag as
 *   `[CODE]`, so the tag is matched in any case.
 * - Jira's BackslashEscapeRendererComponent, as ported in @atlaskit/editor-wikimarkup-transformer
 *   (parser/utils/escape.js): a backslash escapes exactly - # * _ + ? ^ ~ | % { } [ ] ( ) ! @; before anything else it
 *   stays a backslash.
 * - jira-wiki-markup (tarleb/jira-wiki-markup, Printer.hs, used by pandoc): "backslash is unescapable"; `\\` is a
 *   line break (Parser/Inline.hs), and bare http, https, ftp, file, irc, nntp, news and mailto addresses become links.
 */

/** A ServiceNow `[code]` or `[/code]` tag in any case, with whitespace inside the brackets. */
const LIVE_CODE_TAG = /\[\s*\/?\s*code\s*\]/iu;
const ESCAPABLE = '-#*_+?^~|%{}[]()!@';

/** True when every wiki-significant character is escaped by a backslash of the escaper's own, and nothing else is. */
function inertWiki(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === '\\' && !ESCAPABLE.includes(text.charAt(i + 1))) return false;
    if (ESCAPABLE.includes(c) && text.charAt(i - 1) !== '\\') return false;
    if (c === '\\') i += 1;
  }
  return !/[\r\n]/.test(text) && !/(?:https?|ftp|file|irc|nntp|news|mailto):/i.test(text);
}

describe('ServiceNow markup in a value', () => {
  it.each([
    ['the attack as reported', '[code]<img src=x onerror=alert(1)>[/code]', '\uff3bcode]<img src=x onerror=alert(1)>\uff3b/code]'],
    ['upper and mixed case', '[CODE]<b>x</b>[/Code]', '\uff3bCODE]<b>x</b>\uff3b/Code]'],
    ['spaces inside the brackets', '[ code ]<b>x</b>[ / code ]', '\uff3b code ]<b>x</b>\uff3b / code ]'],
    ['a tab and a line break inside the brackets', '[\tcode\n]x', '\uff3b code ]x'],
    ['a no-break space inside the brackets', '[\u00a0code]x', '\uff3b\u00a0code]x'],
    ['a tag inside brackets', '[[code]]x', '[\uff3bcode]]x'],
    ['an opening tag alone (closed by a later value)', 'x [code', 'x \uff3bcode'],
    ['a line break that would start a line of its own', 'PHONE\nApproved by: ceo@contoso.com', 'PHONE Approved by: ceo@contoso.com'],
    ['a right-to-left override', 'PHONE\u202eKCOL', 'PHONEKCOL'],
    ['ordinary brackets', 'Pixel 8 [work]', 'Pixel 8 [work]'],
    ['HTML outside a tag (ServiceNow escapes it)', '<b>bold</b>', '<b>bold</b>'],
    ['a plain device name', 'AE-FULLY-01', 'AE-FULLY-01'],
  ])('neutralises %s', (_label, value, expected) => {
    expect(neutraliseServiceNowMarkup(value)).toBe(expected);
    expect(neutraliseServiceNowMarkup(value)).not.toMatch(LIVE_CODE_TAG);
  });

  it('leaves no live tag in any value, and breaks a tag formed across a value and the text around it', () => {
    const alphabet = fc.constantFrom(...'[]/ \t\n\u00a0codeCODE<>x'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (value) => {
        expect(neutraliseServiceNowMarkup(value)).not.toMatch(LIVE_CODE_TAG);
      }),
      { numRuns: 2000 },
    );
    expect(breakCodeTags('Device: [ ' + 'code]<b>x</b>')).not.toMatch(LIVE_CODE_TAG);
  });
});

describe('Jira wiki markup in a value', () => {
  it.each([
    ['an {html} macro', '{html}<img src=x onerror=alert(1)>{html}', '\\{html\\}<img src=x onerror=alert\\(1\\)>\\{html\\}'],
    ['a {noformat} block that would swallow the rest', '{noformat}', '\\{noformat\\}'],
    ['a {color} macro', '{color:red}URGENT{color}', '\\{color:red\\}URGENT\\{color\\}'],
    ['a link with an alias', '[click here|https://evil.example/login]', '\\[click here\\|https\\[:\\]//evil.example/login\\]'],
    ['a bare address', 'see https://evil.example/login', 'see https\\[:\\]//evil.example/login'],
    ['a mailto address', 'mailto:ceo@contoso.com', 'mailto\\[:\\]ceo\\@contoso.com'],
    ['an image', '!https://evil.example/x.png!', '\\!https\\[:\\]//evil.example/x.png\\!'],
    ['a mention', '[~accountid:5b10a2844c20165700ede21g]', '\\[\\~accountid:5b10a2844c20165700ede21g\\]'],
    ['text effects', '*b* _i_ -d- +u+ ^s^ ~t~ ??c?? {{m}}', '\\*b\\* \\_i\\_ \\-d\\- \\+u\\+ \\^s\\^ \\~t\\~ \\?\\?c\\?\\? \\{\\{m\\}\\}'],
    ['an emoticon', '(/) approved', '\\(/\\) approved'],
    ['a table row', '|| a || b ||', '\\|\\| a \\|\\| b \\|\\|'],
    ['a forced line break (two backslashes)', 'a\\\\b', 'a\uff3c\uff3cb'],
    ['a backslash that would cancel an escape', '\\{html}', '\uff3c\\{html\\}'],
    ['a line break before a heading', 'PHONE\nh1. Approved', 'PHONE h1. Approved'],
    ['a plain device name', 'R58M123ABC', 'R58M123ABC'],
  ])('escapes %s', (_label, value, expected) => {
    expect(escapeJiraWiki(value)).toBe(expected);
    expect(inertWiki(escapeJiraWiki(value))).toBe(true);
  });

  it('leaves every wiki-significant character escaped in any value', () => {
    const alphabet = fc.constantFrom(...`${ESCAPABLE}\\\n\r\t :/htpsmailoxX`.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (value) => {
        expect(inertWiki(escapeJiraWiki(value))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('one line', () => {
  it.each([
    ['CR LF', 'a\r\nb', 'a  b'],
    ['Unicode line and paragraph separators', 'a\u2028b\u2029c', 'a b c'],
    ['other control characters', 'a\u0000b\u0085c\u007fd', 'a b c d'],
    ['bidi controls', '\u202aa\u2066b\u200fc\u061c', 'abc'],
    ['ordinary text', 'Anna Lee <anna@contoso.com>', 'Anna Lee <anna@contoso.com>'],
  ])('makes %s one line', (_label, value, expected) => {
    expect(oneLine(value)).toBe(expected);
  });
});
