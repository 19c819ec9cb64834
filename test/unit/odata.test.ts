import { eqFilter, odataString, pathSegment } from '../../src/graph/odata';

describe('OData literals and path segments', () => {
  it.each([
    ["Anna's iPhone", "deviceName eq 'Anna''s iPhone'"],
    ["x' or deviceName ne 'y", "deviceName eq 'x'' or deviceName ne ''y'"],
    ["''", "deviceName eq ''''''"],
  ])('keeps %p a single string literal', (name, expected) => {
    expect(eqFilter('deviceName', name)).toBe(expected);
  });

  it('quotes plain values', () => {
    expect(odataString('R58M123ABC')).toBe("'R58M123ABC'");
  });

  it('encodes path tricks into one segment and refuses dot segments', () => {
    expect(pathSegment('../../users/me')).toBe('..%2F..%2Fusers%2Fme');
    expect(pathSegment('a?b#c')).toBe('a%3Fb%23c');
    expect(() => pathSegment('..')).toThrow();
  });
});
