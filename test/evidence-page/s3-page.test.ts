// The production path of the page around S3 (mocked: S3 has no local form): the page is re-written
// after verification from the evidence stored in the bucket, with the readings after and the audit
// log, and put back encrypted; the restart note carries the presigned link as its button only.
import { readFileSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { rewriteIncidentPage, S3PageLinker } from '../../lib/evidence-page/index.ts';
import { readDump } from '../../lib/goroutines/index.ts';
import { S3EvidenceStore } from '../../lib/remediation/index.ts';
import { redactMessage } from '../../lib/slack/post/sink.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { restartNote } from '../../lib/worker/thread-notes.ts';

const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE000000003', secretAccessKey: 'dummy/secret/for/offline/presigning/only11', sessionToken: 'IQoJdummy'.repeat(12) } });
const s3 = mockClient(client);
afterEach(() => s3.reset());

describe('the evidence page in S3', () => {
  it('is re-written from the stored evidence, with the readings after the restart, SSE encrypted', async () => {
    const dump = await readDump(readFileSync(new URL('../fixtures/dumps/go119-debug2.txt', import.meta.url)));
    const report = { id: 'r1', service: 'billing-api', createdAt: '2026-12-02T04:00:00.000Z', elapsedMs: 900, deadlineMs: 8000, alert: null, verdict: { kind: 'tx-leak', headline: 'Transaction leak in route=/transfer', culprit: null, confidence: 'high', restsOn: null }, capacity: { engine: 'postgres', maxConnections: 100, available: 97, inUse: 90, free: 7, full: false, growthPerMinute: null, minutesToExhaustion: null, elb504: null }, findings: [], replicas: [], sessions: null, growth: null, gaps: [], actions: [], channel: null, reading: { connections: 90, idleInTransaction: 40, elb504: null } };
    const stored: Record<string, string> = { 'report.json': JSON.stringify(report), 'dumps.json': JSON.stringify([{ replica: 'pod-a', address: '10.0.0.7', capturedAt: null, gap: null, dump }]) };
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const name = input.Key.split('/').pop()!;
      if (!(name in stored)) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      return { Body: { transformToByteArray: async () => new Uint8Array(Buffer.from(stored[name]!)) } } as unknown as GetObjectCommandOutput;
    });
    s3.on(PutObjectCommand).resolves({});
    const store = new MemoryStore();
    await store.appendAudit({ actor: 'U0APPROVE2', action: 'restart.approved', target: 'billing-api', incidentId: 'inc-9', result: 'ok' });
    const evidence = new S3EvidenceStore({ client, bucket: 'lh-evidence' });
    const link = await rewriteIncidentPage({ store, evidence }, 'inc-9', [
      { at: '2026-12-02T04:05:00.000Z', label: 'before the restart', reading: { connections: 90, idleInTransaction: 40, elb504: 12 } },
      { at: '2026-12-02T04:07:00.000Z', label: '2 min after the restart', reading: { connections: 12, idleInTransaction: 0, elb504: 0 } },
    ]);
    expect(link?.location).toBe('s3://lh-evidence/incidents/inc-9/evidence.html');
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'lh-evidence', Key: 'incidents/inc-9/evidence.html', ContentType: 'text/html; charset=utf-8', ServerSideEncryption: 'AES256' });
    const html = String(put.Body);
    expect(html).toContain('<td>2 min after the restart</td><td>2026-12-02T04:07:00.000Z</td><td class="n">12</td><td class="n">0</td>');
    expect(html).toContain('restart.approved');
    expect(html).toContain('database/sql.(*Tx).awaitDone');
  });

  it('the restart note links the page by a button; the text says until when', async () => {
    s3.on(HeadObjectCommand).resolves({});
    const page = (await new S3PageLinker({ client, bucket: 'lh-evidence' }).link('inc-9'))!;
    const note = redactMessage(
      restartNote({ status: 'done', approval: {} as never, result: { outcome: 'completed', target: 'x', message: 'rollout complete', issued: true, startedAt: '', finishedAt: '', rollout: null, output: null }, evidence: { links: [], problems: [] }, verifyJobId: 'v1' }, 120, page),
    );
    expect(note.text).toMatch(/Evidence page: one self-contained page, link valid until/);
    expect(note.text).not.toContain('X-Amz-Signature');
    expect((note.blocks.at(-1) as { elements: Array<{ url: string }> }).elements[0]!.url).toBe(page.url);
  });
});
