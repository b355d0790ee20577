// The alarm function: SNS and EventBridge deliveries become incidents and triage jobs; bad
// records are logged (redacted) and skipped; storms and redeliveries open one incident.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/alarm.ts';
import { handleAlarmEvent } from '../../lib/intake/alarm-event.ts';
import { coreContext, type CoreContext } from '../../lib/wiring/core.ts';
import { retriageKey } from '../../lib/intake/ingest.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { captureStdio } from '../support/stdio.ts';
import { alarmMessage, fixture, ingestDeps, lambdaContext, RecordingQueue, testCatalog } from '../support/functions-harness.ts';

type SnsEvent = { Records: Array<{ Sns: Record<string, unknown> }> };

/** The SNS fixture with its own MessageId (and optionally another alarm message). */
function snsEvent(message?: string): SnsEvent {
  const event = fixture('sns-rds-connections-alarm.json') as SnsEvent;
  const record = event.Records[0]!;
  record.Sns = { ...record.Sns, MessageId: randomUUID(), ...(message ? { Message: message } : {}) };
  return event;
}

afterEach(() => coreContext.set(null));

/** A payload from the corpus of real ones (test/fixtures/wild/alerts). */
const wild = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/wild/alerts/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('alarm function', () => {
  it('turns an SNS CloudWatch alarm into an incident and one triage job', async () => {
    const deps = ingestDeps();
    const result = await handleAlarmEvent(snsEvent(), deps);
    expect(result).toMatchObject({ records: 1, bad: 0, duplicates: 0 });
    expect(result.routes).toEqual([expect.objectContaining({ alert: 'orders-db-connections-high', service: 'billing-api', outcome: 'opened', job: 'triage' })]);
    const open = await deps.store.listOpenIncidents();
    expect(open).toEqual([expect.objectContaining({ service: 'billing-api', kind: 'db-connections-high', alarmCount: 1 })]);
    expect(deps.queue.jobs).toEqual([expect.objectContaining({ type: 'triage', service: 'billing-api', incidentId: open[0]!.id, trigger: 'alarm' })]);
  });

  it('turns an EventBridge alarm state change into an incident and a job', async () => {
    const deps = ingestDeps();
    const result = await handleAlarmEvent(fixture('eventbridge-aurora-connections-alarm.json'), deps);
    expect(result.routes).toEqual([expect.objectContaining({ service: 'ledger-worker', outcome: 'opened', job: 'triage' })]);
    expect(deps.queue.jobs).toHaveLength(1);
  });

  it('takes a CloudWatch alarm action that invokes the function directly (alarmData), as AWS sends it', async () => {
    const deps = ingestDeps();
    const event = wild('lambda-alarm-action-metric-rust-runtime.json');
    const result = await handleAlarmEvent(event, deps);
    expect(result).toMatchObject({ records: 1, bad: 0 });
    // No service maps it: it still opens an incident (reported in the default channel).
    expect(result.routes).toEqual([expect.objectContaining({ alert: 'lambda-demo-metric-alarm', outcome: 'opened', job: 'triage' })]);
    // A redelivery of the same action is recognised.
    expect(await handleAlarmEvent(event, deps)).toMatchObject({ duplicates: 1 });
  });

  it('records a composite alarm whose actions CloudWatch suppressed, and does not triage it', async () => {
    const deps = ingestDeps();
    const event = wild('eventbridge-composite-actions-suppressed-alarmdata.json');
    const result = await handleAlarmEvent({ ...event, detail: event['alarmData'], id: randomUUID() }, deps);
    expect(result.routes).toEqual([expect.objectContaining({ alert: 'ServiceAggregatedAlarm', outcome: 'suppressed', job: null, incidentId: null })]);
    expect(deps.queue.jobs).toEqual([]);
    expect(await deps.store.listOpenIncidents()).toEqual([]);
    expect(deps.log.lines.find((l) => /suppressed/.test(String(l['msg'])))).toMatchObject({ by: 'WaitPeriod', reason: 'Actions suppressed by WaitPeriod' });
  });

  it('resolves the incident on OK and queues the job that updates its thread', async () => {
    const deps = ingestDeps();
    await handleAlarmEvent(snsEvent(), deps);
    const ok = fixture('sns-rds-connections-ok.json') as SnsEvent;
    ok.Records[0]!.Sns['MessageId'] = randomUUID();
    const result = await handleAlarmEvent(ok, deps);
    expect(result.routes).toEqual([expect.objectContaining({ outcome: 'resolved', job: 'resolved' })]);
    expect(await deps.store.listOpenIncidents()).toEqual([]);
    expect(deps.queue.jobs.map((j) => j.type)).toEqual(['triage', 'triage']);
  });

  it('logs a bad record by its reason (redacted), skips it, and keeps the good ones', async () => {
    const deps = ingestDeps();
    const good = snsEvent().Records[0]!;
    const bad = snsEvent(JSON.stringify({ AlarmName: 'x', NewStateValue: 'ALARM', Trigger: { Dimensions: 'token=hunter2-secret-value' } })).Records[0]!;
    const notJson = snsEvent('password=hunter2 is not JSON').Records[0]!;
    const result = await handleAlarmEvent({ Records: [bad, good, notJson, 42] }, deps);
    expect(result).toMatchObject({ records: 4, bad: 3 });
    expect(deps.queue.jobs).toHaveLength(1);
    const skipped = deps.log.lines.filter((l) => l['msg'] === 'record skipped');
    expect(skipped.map((l) => l['record'])).toEqual(['Records[0]', 'Records[2]', 'Records[3]']);
    expect(JSON.stringify(deps.log.lines)).not.toContain('hunter2');
  });

  it('ignores an event that is neither SNS nor EventBridge without throwing', async () => {
    const deps = ingestDeps();
    await expect(handleAlarmEvent({ hello: 'world' }, deps)).resolves.toMatchObject({ records: 0 });
    await expect(handleAlarmEvent('nonsense', deps)).resolves.toMatchObject({ records: 0 });
    expect(deps.log.lines.some((l) => String(l['msg']).includes('not an SNS or EventBridge'))).toBe(true);
  });

  it('opens one incident with count 1000 and queues one triage for a storm of 1000 alarms', async () => {
    const deps = ingestDeps();
    const results = await Promise.all(Array.from({ length: 1000 }, () => handleAlarmEvent(snsEvent(), deps)));
    expect(results.flatMap((r) => r.routes).filter((r) => r.outcome === 'opened')).toHaveLength(1);
    const open = await deps.store.listOpenIncidents();
    expect(open).toHaveLength(1);
    expect(open[0]!.alarmCount).toBe(1000);
    expect(deps.queue.jobs).toHaveLength(1);
  });

  it('counts a redelivered SNS message once', async () => {
    const deps = ingestDeps();
    const event = snsEvent();
    await handleAlarmEvent(event, deps);
    const again = await handleAlarmEvent(event, deps);
    expect(again.duplicates).toBe(1);
    expect((await deps.store.listOpenIncidents())[0]!.alarmCount).toBe(1);
  });

  it('queues a new triage for a firing that joins after the cool-down, not before', async () => {
    let now = Date.parse('2026-01-01T10:00:00Z');
    const deps = ingestDeps({ store: new MemoryStore({ now: () => now }), retriageSeconds: 600 });
    await handleAlarmEvent(snsEvent(), deps);
    now += 5 * 60_000;
    await handleAlarmEvent(snsEvent(), deps);
    expect(deps.queue.jobs).toHaveLength(1);
    now += 6 * 60_000;
    const later = await handleAlarmEvent(snsEvent(), deps);
    expect(later.routes[0]).toMatchObject({ outcome: 'joined', job: 'triage' });
    expect(deps.queue.jobs).toHaveLength(2);
  });

  it('fails the invocation when a record cannot be stored, and gives its claims back for the retry', async () => {
    const queue = new RecordingQueue();
    queue.failWith = new Error('SQS unavailable (https://user:pw@sqs.example)');
    const deps = ingestDeps({ queue });
    const event = snsEvent();
    await expect(handleAlarmEvent(event, deps)).rejects.toThrow(/1 of 1 records could not be recorded/);
    const incident = (await deps.store.listOpenIncidents())[0]!;
    // The cool-down and the delivery were released: Lambda's retry gets to queue the triage.
    expect(await deps.store.claim(retriageKey(incident.id), 60)).toBe(true);
    queue.failWith = null;
    await deps.store.release(retriageKey(incident.id));
    const retried = await handleAlarmEvent(event, deps);
    expect(retried.duplicates).toBe(0);
  });

  it('reports an alarm no service claims as an incident of its own (default channel)', async () => {
    const deps = ingestDeps();
    await handleAlarmEvent(snsEvent(alarmMessage({ AlarmName: 'mystery-alarm', Trigger: { MetricName: 'CPUUtilization', Namespace: 'AWS/EC2', Dimensions: [{ name: 'InstanceId', value: 'i-0abc' }] } })), deps);
    expect(deps.queue.jobs).toEqual([expect.objectContaining({ type: 'triage', service: 'unmapped/mystery-alarm' })]);
  });

  it('runs through the Lambda entry point with the shared context', async () => {
    const store = new MemoryStore();
    const queue = new RecordingQueue();
    coreContext.set({ env: {}, catalog: testCatalog(), store, queue, readSecret: async () => '', retriageSeconds: 900 } satisfies CoreContext);
    const result = await handler(fixture('eventbridge-aurora-connections-alarm.json'));
    expect(result.routes[0]).toMatchObject({ service: 'ledger-worker', outcome: 'opened' });
    expect(queue.jobs).toHaveLength(1);
  });
});

describe('alarm function without configuration', () => {
  it('logs why (without the secret) and fails the invocation so Lambda retries it', async () => {
    coreContext.set(null);
    const saved = { ...process.env };
    const out = captureStdio();
    const event = fixture('eventbridge-aurora-connections-alarm.json');
    try {
      delete process.env['LEAKHOUND_CONFIG'];
      await expect(handler(event, lambdaContext)).rejects.toThrow(/not configured/);
    } finally {
      out.restore();
      process.env = saved;
    }
    // Powertools' Logger: the level, the component, the Lambda context and the delivery's id.
    expect(out.json()[0]).toMatchObject({
      level: 'ERROR',
      component: 'alarm',
      message: 'not configured',
      reason: expect.stringMatching(/LEAKHOUND_CONFIG/),
      function_request_id: lambdaContext.awsRequestId,
      correlation_id: event['id'],
    });
  });
});
