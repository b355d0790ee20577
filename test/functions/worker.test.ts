// The worker: SQS batches with partial-batch failure reporting (exactly the bad records are
// retried), triage posted through the poster, resolved and unmapped incidents, remediation jobs.
import { afterEach, describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { handler } from '../../functions/worker.ts';
import { DirectoryEvidenceStore } from '../../lib/remediation/index.ts';
import { createJobHandler, type WorkerDeps } from '../../lib/worker/run-job.ts';
import { workerContext } from '../../lib/wiring/worker.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { handleSqsBatch } from '../../lib/jobs/sqs.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { ingestDeps, jobBody, RecordingQueue, RecordingSink, sqsRecord } from '../support/functions-harness.ts';
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
