import { notifyJobId, parseNotifyJobId } from '../../src/queue/catalog';

describe('notification job ids', () => {
  const requestId = '2f1c4b9e-8a0d-4c6e-9b1a-3d5e7f9a1b2c';

  it('reads back every id notifyJobId writes', () => {
    for (const payload of [
      { requestId, event: 'succeeded' as const, channel: 'email' as const },
      { requestId, event: 'linked_to_active_request' as const, channel: 'ticket' as const, ticket: { system: 'jira' as const, key: 'HD-12' } },
      { requestId, event: 'failed' as const, channel: 'ticket' as const, attempt: 3 },
    ]) {
      expect(parseNotifyJobId(notifyJobId(payload))).toEqual(payload);
    }
  });

  it('names nothing for anything else', () => {
    for (const id of ['', requestId, `${requestId}|succeeded|fax`, `${requestId}|exploded|email`, `${requestId}|failed|email|a1`, `${requestId}|failed|email|jira`]) {
      expect(parseNotifyJobId(id)).toBeUndefined();
    }
  });
});
