import { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { graphKeys, metricsKeys, notifyKeys, sessionKeys, storeKeys, tenantKeyPatterns, tenantKeys } from '../../src/store/keys';

// The key strings are stored data: a process of the next version must find what this one wrote. Each is pinned here.
const P = '{resetpc}';

describe('the Redis key module', () => {
  it('keeps the request, index, lock and intake keys as they are stored', () => {
    const k = storeKeys(P);
    expect([k.request('r1'), k.timeline('r1'), k.links('r1'), k.byCreated, k.byState('awaiting_device'), k.audit]).toEqual([
      '{resetpc}:request:r1',
      '{resetpc}:request:r1:timeline',
      '{resetpc}:request:r1:links',
      '{resetpc}:requests:created',
      '{resetpc}:requests:state:awaiting_device',
      '{resetpc}:audit',
    ]);
    expect([k.byTicket(' hd-42 '), k.byDevice(' C02XYZ '), k.byRequester(' Anna@Contoso.com ')]).toEqual([
      '{resetpc}:requests:ticket:HD-42',
      '{resetpc}:requests:device:c02xyz',
      '{resetpc}:requests:requester:anna@contoso.com',
    ]);
    expect([k.deviceLock({ kind: 'serialNumber', value: ' C02XYZ ' }), k.ticketLock({ system: 'jira', key: 'hd-42' }), k.managedDeviceLock('ABC-1')]).toEqual([
      '{resetpc}:lock:device:serialNumber:c02xyz',
      '{resetpc}:lock:ticket:jira:HD-42',
      '{resetpc}:lock:managed:abc-1',
    ]);
    expect(k.joblessOutbox).toBe('{resetpc}:requests:jobless-outbox');
    expect([k.idempotency('submitter', 'ab12'), k.replay('jira', 'd-1'), k.rateLimit('caller:operator')]).toEqual(['{resetpc}:idempotency:submitter:ab12', '{resetpc}:replay:jira:d-1', '{resetpc}:ratelimit:caller:operator']);
  });

  it('keeps the tenant, metrics, session and notification keys as they are stored', () => {
    expect(tenantKeys(P, 'AAAA-1')).toEqual({ paused: '{resetpc}:tenant:aaaa-1:paused', submissions: '{resetpc}:tenant:aaaa-1:submissions', limit: '{resetpc}:tenant:aaaa-1:blast-radius-limit' });
    const m = metricsKeys(P);
    expect([m.counters, m.checkpoint, m.lastTransition, m.outcomes, m.stages, m.timeToOutcome, m.minute(7), m.halfHour(3), m.tenants, m.tenantActions]).toEqual([
      '{resetpc}:metrics:counters',
      '{resetpc}:metrics:checkpoint',
      '{resetpc}:metrics:last-transition',
      '{resetpc}:metrics:outcomes',
      '{resetpc}:metrics:stages',
      '{resetpc}:metrics:time-to-outcome',
      '{resetpc}:metrics:rollup:m:7',
      '{resetpc}:metrics:rollup:h:3',
      '{resetpc}:ops:tenants',
      '{resetpc}:ops:tenant-actions',
    ]);
    expect([sessionKeys(P).session('d1'), sessionKeys(P).refusal('d1', 'n1')]).toEqual(['{resetpc}:ops:session:d1', '{resetpc}:ops:refusal:d1:n1']);
    const n = notifyKeys(P);
    expect([n.record('r1|approved|email'), n.byRequest('r1'), n.undeliverable()]).toEqual(['{resetpc}:notify:delivery:r1|approved|email', '{resetpc}:notify:request:r1', '{resetpc}:notify:undeliverable']);
  });

  it('keeps the Graph keys as they are stored, and names the same budget keys as the budget itself', () => {
    const g = graphKeys(P);
    expect(g.tenantFacts('t1')).toBe('{resetpc}:graph:tenant-facts:t1');
    expect(g.budget('t1')).toEqual({
      pause: '{resetpc}:graph:pause:t1',
      readTat: '{resetpc}:graph:budget:t1:read:tat',
      reads: '{resetpc}:graph:budget:t1:read',
      writeTat: '{resetpc}:graph:budget:t1:write:tat',
      writes: '{resetpc}:graph:budget:t1:write',
      slot: '{resetpc}:graph:budget:t1:slot',
    });
    // A holder's slot: the first 32 hex digits of the holder's SHA-256 (of `write|reset:device-1` here).
    expect(g.budget('t1', 'write|reset:device-1').slot).toBe('{resetpc}:graph:budget:t1:slot:b016752a341ec4d14edcce87cad7887a');
    // The budget takes its keys from the key module: it names exactly these.
    const unused = new Redis({ lazyConnect: true });
    try {
      const budget = new GraphBudget(unused, P, DEFAULT_BUDGET_LIMITS);
      expect(budget.keys('t1', 'write|device-1')).toEqual(g.budget('t1', 'write|device-1'));
      expect(budget.keys('t1')).toEqual(g.budget('t1'));
    } finally {
      unused.disconnect();
    }
    expect(tenantKeyPatterns(P)).toEqual(['{resetpc}:graph:budget:*', '{resetpc}:graph:pause:*', '{resetpc}:tenant:*']);
  });
});
