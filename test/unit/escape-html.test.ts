import { html } from '../../src/ops/html';
import { escapeHtml as notifyEscape, parseTemplate, render } from '../../src/notify/render';
import { escapeHtml } from '../../src/text/escape-html';

describe('escapeHtml, the one HTML escaper', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['`', '&#96;'],
  ])('replaces %s with %s', (character, reference) => {
    expect(escapeHtml(`a${character}b`)).toBe(`a${reference}b`);
  });

  it('escapes every occurrence, and an ampersand that already starts a reference too', () => {
    expect(escapeHtml('&lt;&&')).toBe('&amp;lt;&amp;&amp;');
  });

  it('leaves other text as written, including non-ASCII and line breaks', () => {
    const text = 'Ünïcödé = ok / 100% \\ ; \n\t (iPhone 15)';
    expect(escapeHtml(text)).toBe(text);
  });

  it('makes a value inert as an element and as a quoted or unquoted attribute', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">`)).toBe('&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;');
    expect(escapeHtml('`x` onmouseover=1')).toBe('&#96;x&#96; onmouseover=1');
  });

  it('is what the dashboard templates and the HTML email body both insert values with', () => {
    const value = `<b class="x">Tom & Jerry's</b>\``;
    expect(html`<p>${value}</p>`.value).toBe(`<p>${escapeHtml(value)}</p>`);
    expect(notifyEscape).toBe(escapeHtml);
    expect(render(parseTemplate('<p>{{value}}</p>'), { value }, notifyEscape)).toBe(`<p>${escapeHtml(value)}</p>`);
  });
});
