import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { startChaosRedis, type ChaosRedis } from '../support/chaos-redis';
import { chaosScale, notifyEnv, report, startChaosRun, type ChaosRun } from '../support/chaos-run';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';

/**
 * Fault scenario 4 (docs/reliability.md): ServiceNow, Jira and the SMTP server are all down while requests from
 * tickets run to the end; once they are back, every ticket gets its note and every requester their email, once.
 * Worker processes deliver them (the notify worker runs next to the reset worker in each process).
 */
describe('chaos: ticketing and SMTP outage', () => {
  let redis: ChaosRedis;
  let run: ChaosRun;
  const perSystem = Math.round(15 * chaosScale());

  beforeAll(async () => {
    redis = await startChaosRedis();
    run = await startChaosRun({
      label: 'notify',
      redisUrl: redis.url,
      intakes: 1,
      workers: 2,
      sandbox: { smtpPort: 0 },
      // Retries every 0.2–3 s: about 10 attempts span ~20 s, longer than the outage.
      workerEnv: (sandbox) => ({ ...notifyEnv(sandbox), NOTIFY_BACKOFF_BASE_MS: '200', NOTIFY_BACKOFF_MAX_MS: '3000' }),
    });
  }, 60_000);

  afterAll(async () => {
    await run.close();
    await redis.close();
  });

  it('delivers every ticket note and email exactly once after the outage, and repeats no reset', async () => {
    const { sandbox } = run;
    const smtp = sandbox.smtp;
    if (smtp === undefined) throw new Error('the SMTP catcher is not running');
    const intakeUrl = run.intakes.all[0]?.url ?? '';
    const devices = run.seedDevices(perSystem * 2, { outcome: 'done', activeAfterMs: 200, finalAfterMs: 1_000 });
    const serial = (id: string): string => sandbox.control.device(id)?.device.serialNumber ?? '';

    // The outage starts before the first request: every ticket write and every SMTP transaction is refused.
    const snFault = sandbox.servicenow.control.injectFault({ path: '/**', fault: { kind: 'status', status: 503 } });
    const jiraFault = sandbox.jira.control.injectFault({ path: '/**', fault: { kind: 'status', status: 503 } });
    smtp.refuse({ stage: 'mail', code: 421, message: 'Service not available (chaos outage)' });
    const outageStart = Date.now();

    const incidents = devices.slice(0, perSystem).map((d) => sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serial(d), short_description: 'Phone locked' }));
    const issues = devices.slice(perSystem).map((d) =>
      sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Tablet locked', reporter: 'anna@contoso.com', device: serial(d), requestType: { id: '12', name: 'Reset device passcode' }, approvals: [] }),
    );
    for (const record of incidents) {
      expect((await sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET })).status).toBe(202);
    }
    for (const issue of issues) {
      expect((await sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET, maxAttempts: 1 })).finalStatus).toBe(202);
    }
    const tickets = [...incidents.map((r) => r.number ?? ''), ...issues.map((i) => i.key)];
    const ids = await Promise.all(tickets.map(async (t) => (await run.store.list({ ticket: t }, 1)).items[0]?.id ?? `missing:${t}`));

    // The resets do not wait for the ticketing systems.
    await run.untilFinal(ids, 120_000);
    expect(await run.tally(ids)).toEqual({ succeeded: tickets.length });
    // …and the deliveries were tried, and refused, during the outage.
    await run.until('deliveries to be refused by ServiceNow, Jira and SMTP', 30_000, ids, () =>
      sandbox.servicenow.control.calls.some((c) => c.status === 503) && sandbox.jira.control.requests.some((r) => r.outcome === 503) && smtp.refusals > 0,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const refusedDuringOutage = {
      servicenow: sandbox.servicenow.control.calls.filter((c) => c.status === 503).length,
      jira: sandbox.jira.control.requests.filter((r) => r.outcome === 503).length,
      smtp: smtp.refusals,
    };
    expect(smtp.messages).toHaveLength(0);
    sandbox.servicenow.control.faults.remove(snFault);
    sandbox.jira.control.faults.remove(jiraFault);
    smtp.accept();
    const recoveredAt = Date.now();

    const notes = (): number[] => incidents.map((r) => sandbox.servicenow.control.journal(r.sys_id, 'work_notes').length);
    const comments = (): number[] => issues.map((i) => sandbox.jira.control.issue(i.key)?.comments.length ?? 0);
    const emails = (): number[] => tickets.map((t) => smtp.messages.filter((m) => m.subject.includes(`[${t}]`)).length);
    await run.until('every note, comment and email to be delivered', 60_000, ids, () => [...notes(), ...comments(), ...emails()].every((n) => n >= 1));
    const deliveredAfterMs = Date.now() - recoveredAt;
    // Give a duplicate time to show up: a retried delivery would land within the backoff maximum.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(notes()).toEqual(incidents.map(() => 1));
    expect(comments()).toEqual(issues.map(() => 1));
    expect(emails()).toEqual(tickets.map(() => 1));
    expect(incidents.map((r) => sandbox.servicenow.control.record('incident', r.sys_id)?.state)).toEqual(incidents.map(() => '6'));
    expect(issues.map((i) => sandbox.jira.control.issue(i.key)?.status.name)).toEqual(issues.map(() => 'Resolved'));
    expect(devices.map((d) => sandbox.control.resetPasscodeCount(d)).filter((n) => n !== 1)).toEqual([]);
    report('notify-outage', {
      requests: tickets.length,
      servicenowIncidents: incidents.length,
      jiraIssues: issues.length,
      outageSeconds: Math.round((recoveredAt - outageStart) / 1000),
      refusedDuringOutage,
      deliveredAfterRecoveryMs: deliveredAfterMs,
      notesPerIncident: 1,
      commentsPerIssue: 1,
      emailsPerRequest: 1,
      resetPostsPerDevice: 1,
    });
  }, 300_000 * chaosScale());
});
