import { ADMIN_CENTER_DEVICE_URL, FAILURE_REASONS, INELIGIBLE_REASONS, REASON_LINKS, adminCenterDeviceLink, isDeviceLinkTemplate, isFailureReason, reasonLink } from '../../src/domain/reasons';

describe('the reason → documentation link table', () => {
  it.each(FAILURE_REASONS.map((reason) => [reason]))('links %s to a Microsoft Learn or Intune page, or a ticketing reason to its vendor\'s reference', (reason) => {
    const url = new URL(reasonLink(reason));
    expect(url.protocol).toBe('https:');
    const hosts = reason.startsWith('servicenow_') || reason === 'ticketing_unavailable' ? ['www.servicenow.com'] : reason.startsWith('jira_') ? ['developer.atlassian.com'] : ['learn.microsoft.com', 'intune.microsoft.com'];
    expect(hosts).toContain(url.hostname);
    expect(url.pathname).not.toMatch(/^\/[a-z]{2}-[a-z]{2}\//); // locale-less: Learn picks the reader's language
  });

  it('has exactly one row per reason, and every ineligible reason is a failure reason', () => {
    expect(Object.keys(REASON_LINKS).sort()).toEqual([...FAILURE_REASONS].sort());
    expect(new Set(FAILURE_REASONS).size).toBe(FAILURE_REASONS.length);
    for (const reason of INELIGIBLE_REASONS) expect(FAILURE_REASONS).toContain(reason);
  });

  it.each([
    ['windows_desktop', 'hello-for-business/pin-reset'],
    ['ios_disabled', 'actions/remove-passcode'],
    ['stale_sync', 'actions/sync'],
    ['retire_pending', 'actions/retire'],
    ['wipe_pending', 'actions/wipe'],
    ['graph_forbidden', 'graph/permissions-reference'],
    ['action_failed', 'actions/reset-passcode'],
    ['device_not_found', 'device-management/overview#find-your-managed-devices'],
    ['device_ambiguous', 'inventory-and-status/device-details#hardware-device-details'],
  ] as const)('sends %s readers to the page about it (%s)', (reason, page) => {
    expect(reasonLink(reason)).toContain(page);
  });

  // A help-desk agent acts on these in the Intune admin center; the Graph API reference is for developers.
  it.each(['device_not_found', 'device_ambiguous'] as const)('sends %s readers to an Intune admin page, not the Graph API reference', (reason) => {
    expect(new URL(reasonLink(reason)).pathname).toMatch(/^\/intune\//);
  });

  it.each([
    ['stale_sync', true],
    ['self_approval', true],
    ['dry_run', false],
    ['', false],
  ])('recognises %p as a reason code: %p', (value, expected) => {
    expect(isFailureReason(value)).toBe(expected);
  });
});

describe('the admin center device link', () => {
  it('puts the managed device id into the default template', () => {
    expect(adminCenterDeviceLink(ADMIN_CENTER_DEVICE_URL, 'd0000000-0000-4000-8000-000000000001')).toBe(
      'https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/d0000000-0000-4000-8000-000000000001',
    );
  });

  it.each([
    ['../../x?y=1#z', '..%2F..%2Fx%3Fy%3D1%23z'],
    ['a b', 'a%20b'],
    ["Anna's", "Anna's"],
  ])('encodes the id %p', (id, encoded) => {
    expect(adminCenterDeviceLink('https://intune.example/devices/{id}/overview?again={id}', id)).toBe(`https://intune.example/devices/${encoded}/overview?again=${encoded}`);
  });

  it.each([
    [ADMIN_CENTER_DEVICE_URL, true],
    ['https://intune.microsoft.com/#view/Microsoft_Intune_Devices', false],
    ['http://intune.microsoft.com/{id}', false],
  ])('accepts %p as a template: %p', (template, expected) => {
    expect(isDeviceLinkTemplate(template)).toBe(expected);
  });
});
