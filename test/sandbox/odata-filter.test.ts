/**
 * The sandbox's strict $filter parser. Docs: learn.microsoft.com/graph/filter-query-parameter (eq, string literals)
 * and the OData ABNF (a single quote inside a literal is written twice).
 * Pages: https://learn.microsoft.com/en-us/graph/filter-query-parameter and
 *   https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html
 */
import { eqFilter } from '../../src/graph/odata';
import { ODataFilterError, parseEqFilter } from '@resetpc/sandbox/odata-filter';

const ALLOWED = ['deviceName', 'serialNumber', 'azureADDeviceId'];

describe('parseEqFilter', () => {
  it.each([
    ["deviceName eq 'WM10-CORP-0001'", 'deviceName', 'WM10-CORP-0001'],
    ["deviceName eq 'Anna''s iPhone'", 'deviceName', "Anna's iPhone"],
    ["serialNumber eq ''''", 'serialNumber', "'"],
    ["azureADDeviceId eq ''", 'azureADDeviceId', ''],
    ["  deviceName   eq   'spaced'  ", 'deviceName', 'spaced'],
  ])('reads %s', (filter, property, value) => {
    expect(parseEqFilter(filter, ALLOWED)).toEqual({ property, value });
  });

  it('reads any property when no allow-list is given (Intune decides per property: sandbox/src/graph/device-filter.ts)', () => {
    expect(parseEqFilter("userId eq 'u-1'")).toEqual({ property: 'userId', value: 'u-1' });
    expect(() => parseEqFilter("userId ne 'u-1'")).toThrow(ODataFilterError);
  });

  it('reads back every literal the product builds with eqFilter', () => {
    for (const value of ["Anna's iPhone", "''", "a'b'c", 'R&D + QA #1', 'ünïcødé']) {
      expect(parseEqFilter(eqFilter('deviceName', value), ALLOWED)).toEqual({ property: 'deviceName', value });
    }
  });

  it.each([
    ["deviceName eq 'Anna's iPhone'", 'a single quote that is not doubled'],
    ["deviceName ne 'x'", 'another operator'],
    ["deviceName eq 'x' or deviceName eq 'y'", 'a compound clause'],
    ["startswith(deviceName,'x')", 'a function'],
    ["deviceName eq 'x", 'an unterminated literal'],
    ['deviceName eq 42', 'a number'],
    ["deviceNameeq 'x'", 'no space before eq'],
    ["operatingSystem eq 'iOS'", 'a property that is not allowed'],
    ['', 'an empty filter'],
  ])('refuses %s (%s)', (filter) => {
    expect(() => parseEqFilter(filter, ALLOWED)).toThrow(ODataFilterError);
  });
});
