/**
 * OData helpers for the Graph gateway. User-supplied values reach a `$filter` only as string literals built here,
 * and a URL path only as an encoded segment built here.
 */

/** An OData string literal: single quotes around, and every single quote inside doubled (OData ABNF, SQUOTE-in-string). */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `<property> eq '<value>'` for the properties the product filters on. */
export function eqFilter(property: 'deviceName' | 'serialNumber' | 'azureADDeviceId', value: string): string {
  return `${property} eq ${odataString(value)}`;
}

/** A single URL path segment: encoded, so '/', '?', '#' and '..' can never change the path. */
export function pathSegment(value: string): string {
  if (value === '.' || value === '..') throw new Error('a path segment cannot be "." or ".."');
  return encodeURIComponent(value);
}
