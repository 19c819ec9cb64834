/**
 * A strict parser for the only `$filter` form the sandbox serves: `<property> eq '<string literal>'`, where a single
 * quote inside the literal is written twice (OData ABNF, SQUOTE-in-string). Anything else is a parse error, which
 * the routes answer with 400 as Graph does. Which properties a collection applies is the route's business: the
 * directory refuses the others (pass `allowed`), while Intune ignores them (graph/device-filter.ts).
 */

export interface EqFilter {
  readonly property: string;
  readonly value: string;
}

export class ODataFilterError extends Error {
  override readonly name = 'ODataFilterError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/;
const SPACES = /^[ \t]+/;

/**
 * Parses `filter`. Throws ODataFilterError when it is not exactly one `eq`, or when `allowed` is given and does not
 * hold the property.
 */
export function parseEqFilter(filter: string, allowed?: readonly string[]): EqFilter {
  let rest = filter.replace(/^[ \t]+/, '');
  const ident = IDENTIFIER.exec(rest);
  if (ident === null) throw new ODataFilterError('Invalid filter clause: expected a property name.');
  const property = ident[0];
  rest = rest.slice(property.length);

  const gap1 = SPACES.exec(rest);
  if (gap1 === null || !rest.slice(gap1[0].length).startsWith('eq')) throw new ODataFilterError("Invalid filter clause: only 'eq' is supported.");
  rest = rest.slice(gap1[0].length + 2);
  const gap2 = SPACES.exec(rest);
  if (gap2 === null) throw new ODataFilterError("Invalid filter clause: expected a space after 'eq'.");
  rest = rest.slice(gap2[0].length);

  if (!rest.startsWith("'")) throw new ODataFilterError('Invalid filter clause: expected a string literal in single quotes.');
  let value = '';
  let i = 1;
  for (;;) {
    const ch = rest[i];
    if (ch === undefined) throw new ODataFilterError('Invalid filter clause: unterminated string literal.');
    if (ch === "'") {
      if (rest[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      i += 1;
      break;
    }
    value += ch;
    i += 1;
  }
  if (rest.slice(i).trim() !== '') throw new ODataFilterError('Invalid filter clause: unexpected text after the literal.');
  if (allowed !== undefined && !allowed.includes(property)) {
    throw new ODataFilterError(`Invalid filter clause: filtering on '${property}' is not supported.`);
  }
  return { property, value };
}
