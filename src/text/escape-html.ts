/**
 * The one HTML escaper of the product: the dashboard's `html` templates (src/ops/html.ts) and the HTML email body
 * (src/notify/templates/body.html) both insert values through it. It makes a value inert as element text and as a
 * quoted or unquoted attribute value: & < > " ' and ` become character references. It is not a sanitiser: a value
 * put into a URL attribute, a script or a style still needs its own encoding.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

const HTML_SPECIAL = /[&<>"'`]/g;

/** `text` with each of & < > " ' ` replaced by its character reference. */
export function escapeHtml(text: string): string {
  return text.replace(HTML_SPECIAL, (c) => HTML_ESCAPES[c] ?? c);
}
