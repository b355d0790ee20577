// The worker: SQS batches with partial-batch failure reporting (exactly the bad records are
// retried), triage posted through the poster, resolved and unmapped incidents, remediation jobs.
import { afterEach, describe, expect, it } from 'vitest';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/worker.ts';
import { DirectoryEvidenceStore } from '../../lib/remediation/index.ts';
import { createJobHandler, type WorkerDeps } from '../../lib/worker/run-job.ts';
import { workerContext, workerLog, workerTelemetry } from '../../lib/wiring/worker.ts';
import { METRICS } from '../../lib/lambda/meter.ts';
import { rememberSecrets } from '../../lib/redact/index.ts';
import { captureStdio } from '../support/stdio.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { handleSqsBatch } from '../../lib/jobs/sqs.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { ingestDeps, jobBody, lambdaContext, RecordingQueue, RecordingSink, sqsRecord } from '../support/functions-harness.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function setup() {
  const base = ingestDeps();
  const sink = new RecordingSink();
  const store: MemoryStore = base.store;
  const poster = new IncidentPoster({ sink, store, channelOf: (s) => base.catalog.services.find((x) => x.name === s)?.slackChannel ?? base.catalog.defaults.slackChannel, pacer: { minIntervalMs: 0 } });
  const deps: WorkerDeps = {
    catalog: base.catalog,
    store,
    queue: base.queue,
    poster,
    // No database URL in this env and no dump sources: triage reports gaps, fast.
    gather: { env: {}, cloudwatch: null },
    executors: {},
    evidence: new DirectoryEvidenceStore(mkdtempSync(join(tmpdir(), 'lh-worker-evidence-'))),
    cloudwatch: null,
    restartSeconds: 30,
    log: base.log,
  };
  return { deps, sink, store, queue: base.queue as RecordingQueue, log: base.log };
}

const event = (...records: ReturnType<typeof sqsRecord>[]): SQSEvent => ({ Records: records });

afterEach(() => workerContext.set(null));

describe('worker', () => {
  it('reports exactly the malformed and the failing records of a mixed batch', async () => {
    const { deps, store, sink } = setup();
    const { incident } = await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    // getIncident fails for one incident id: that job throws, the others go through.
    const getIncident = store.getIncident.bind(store);
    store.getIncident = async (id) => {
      if (id === 'billing-api:db-connections-high:broken') throw new Error('DynamoDB timed out');
      return getIncident(id);
    };
    workerContext.set(deps);
    const good = sqsRecord(jobBody({ type: 'triage', service: 'billing-api', incidentId: incident!.id, trigger: 'alarm', requestedBy: null }), 'msg-good');
    const malformed = sqsRecord('{"v":1,"job":{"type":"triage"}}', 'msg-malformed');
    const notJson = sqsRecord('not json at all', 'msg-not-json');
    const failing = sqsRecord(jobBody({ type: 'triage', service: 'billing-api', incidentId: 'billing-api:db-connections-high:broken', trigger: 'alarm', requestedBy: null }), 'msg-failing');
    const result = await handler(event(good, malformed, notJson, failing));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-malformed' }, { itemIdentifier: 'msg-not-json' }, { itemIdentifier: 'msg-failing' }]);
    // The good job posted the incident's top message (in the service's channel) and its details.
    const thread = (await store.getIncident(incident!.id))!.thread;
    expect(thread).toEqual({ channel: '#billing', ts: expect.any(String) });
    expect(sink.calls.filter((c) => c.kind === 'post' && c.threadTs === thread!.ts).length).toBeGreaterThan(0);
  });

  it('turns the top message into "resolved" for an alarm job on a resolved incident', async () => {
    const { deps, store, sink } = setup();
    const { incident } = await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'ok' });
    const r = await handleSqsBatch(event(sqsRecord(jobBody({ type: 'triage', service: 'billing-api', incidentId: incident!.id, trigger: 'alarm', requestedBy: null }))), createJobHandler(deps));
    expect(r.batchItemFailures).toEqual([]);
    expect(sink.calls.map((c) => c.text).join('\n')).toMatch(/resolved/i);
  });

  it('says in the default channel that an unmapped alarm maps to no service', async () => {
    const { deps, store, sink } = setup();
    const { incident } = await store.recordAlarm({ service: 'unmapped/mystery-alarm', kind: 'other', state: 'alarm' });
    await createJobHandler(deps)({ type: 'triage', service: 'unmapped/mystery-alarm', incidentId: incident!.id, trigger: 'alarm', requestedBy: null, scope: 'full', respondTo: null }, { id: 'j1', enqueuedAt: new Date().toISOString(), attempt: 1 });
    expect(sink.calls).toEqual([expect.objectContaining({ kind: 'post', channel: '#incidents', text: expect.stringMatching(/mystery-alarm.*maps to no service/) })]);
  });

  it('completes a restart job whose approval is gone, saying so in the channel', async () => {
    const { deps, sink } = setup();
    const r = await handleSqsBatch(event(sqsRecord(jobBody({ type: 'restart', approvalId: 'no-such-approval', incidentId: null, service: 'billing-api' }))), createJobHandler(deps));
    expect(r.batchItemFailures).toEqual([]);
    expect(sink.calls).toEqual([expect.objectContaining({ channel: '#billing', text: expect.stringMatching(/Restart not run: approval no-such-approval not found/) })]);
  });

  it('runs an approved restart without an executor for its platform as a failure it reports', async () => {
    const { deps, store, sink } = setup();
    const approval = await store.createApproval({ incidentId: null, service: 'billing-api', subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'prod', deployment: 'billing-api' } }, requestedBy: 'UREQ', ttlMinutes: 15 });
    await store.transition(approval.id, 'requested', 'approved', 'UAPPROVER');
    const r = await handleSqsBatch(event(sqsRecord(jobBody({ type: 'restart', approvalId: approval.id, incidentId: null, service: 'billing-api' }))), createJobHandler(deps));
    expect(r.batchItemFailures).toEqual([]);
    expect((await store.getApproval(approval.id))!.state).toBe('failed');
    expect(sink.calls.at(-1)!.text).toMatch(/Restart failed: no kubernetes executor is configured here/);
  });
});

// Powertools: the partial batch response (BatchProcessor), the log (Logger, through lib/redact)
// and the metrics (EMF on stdout, written when the handler ends), seen from outside the process.
describe('worker on Powertools for AWS Lambda', () => {
  const triageJob = (incidentId: string | null) => jobBody({ type: 'triage', service: 'billing-api', incidentId, trigger: 'alarm', requestedBy: null });

  it('answers a batch with one failing record with exactly that message id in batchItemFailures', async () => {
    const { deps, store } = setup();
    const getIncident = store.getIncident.bind(store);
    store.getIncident = async (id) => (id === 'billing-api:db-connections-high:broken' ? Promise.reject(new Error('DynamoDB timed out')) : getIncident(id));
    workerContext.set(deps);
    const out = captureStdio();
    let result: SQSBatchResponse;
    try {
      result = await handler(event(sqsRecord(triageJob(null), 'msg-1'), sqsRecord(triageJob('billing-api:db-connections-high:broken'), 'msg-2'), sqsRecord(triageJob(null), 'msg-3')), lambdaContext);
    } finally {
      out.restore();
    }
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-2' }]);
  });

  it('logs JSON lines carrying the record\'s message id as correlation id, with no secret from the error that failed it', async () => {
    const { deps, store } = setup();
    const remembered = 'kube-token-9f8e7d6c5b4a39281706';
    rememberSecrets([remembered]);
    store.getIncident = async () => {
      throw new Error(`could not reach postgres://leakhound:Hunter2-Secret-77@orders.internal:5432/orders; Authorization: Bearer ${remembered}`);
    };
    workerContext.set({ ...deps, log: workerLog });
    const out = captureStdio();
    try {
      const r = await handler(event(sqsRecord(triageJob('billing-api:db-connections-high:x'), 'msg-secret')), lambdaContext);
      expect(r.batchItemFailures).toEqual([{ itemIdentifier: 'msg-secret' }]);
    } finally {
      out.restore();
    }
    const logged = out.json().filter((l) => l['component'] === 'worker');
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'job failed',
        kind: 'handler',
        correlation_id: 'msg-secret',
        function_request_id: lambdaContext.awsRequestId,
        cold_start: expect.any(Boolean),
        reason: expect.stringContaining('could not reach postgres://'),
      }),
    );
    // Every line is JSON; neither the URL's password nor the remembered token is anywhere.
    const text = out.text();
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    expect(text).not.toContain('Hunter2-Secret-77');
    expect(text).not.toContain(remembered);
  });

  it('writes the triage metrics (duration, gaps, verdict) in EMF when the batch ends', async () => {
    const { deps, store } = setup();
    const { incident } = await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm' });
    workerContext.set({ ...deps, meter: workerTelemetry.meter });
    const out = captureStdio();
    try {
      const r = await handler(event(sqsRecord(triageJob(incident!.id), 'msg-triage')), lambdaContext);
      expect(r.batchItemFailures).toEqual([]);
    } finally {
      out.restore();
    }
    const emf = out.json().filter((l) => typeof l['_aws'] === 'object');
    const names = emf.flatMap((l) => (l['_aws'] as { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)));
    expect(names).toEqual(expect.arrayContaining([METRICS.triageDuration, METRICS.triageGaps, METRICS.verdicts]));
    // No database URL in this env: the verdict is unknown, with the gaps that make it so.
    const verdict = emf.find((l) => l[METRICS.verdicts] !== undefined)!;
    expect(verdict).toMatchObject({ verdict: 'unknown', service: 'leakhound', [METRICS.verdicts]: 1 });
    expect(emf.find((l) => l[METRICS.triageGaps] !== undefined)![METRICS.triageGaps]).toBeGreaterThan(0);
  });
});
