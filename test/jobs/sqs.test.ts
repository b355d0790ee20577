// SqsJobQueue and handleSqsBatch: request shapes via aws-sdk-client-mock (SQS has no local form here).
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildEnvelope, handleSqsBatch, InProcessJobQueue, parseMessage, SqsJobQueue, type Job, type JobInput, type SqsEvent } from '../../lib/jobs/index.ts';

const sqsMock = mockClient(SQSClient);
afterEach(() => sqsMock.reset());

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/leakhound-jobs';
const NOW = Date.parse('2025-05-01T12:00:00Z');
const restart: JobInput = { type: 'restart', approvalId: 'apr_1', incidentId: 'billing-api:db-connections-high:20250501-120000-abcdef', service: 'billing-api' };
const verify: JobInput = {
  type: 'verify',
  service: 'billing-api',
  incidentId: null,
  approvalId: 'apr_1',
  action: 'restart',
  before: { connections: 98, idleInTransaction: 40, elb504: 120 },
  startedAt: new Date(NOW).toISOString(),
  watchUntil: new Date(NOW + 3600_000).toISOString(),
  intervalSeconds: 300,
};

const queue = (now = NOW) => new SqsJobQueue({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl: QUEUE, now: () => now });

describe('SqsJobQueue', () => {
  it('sends a validated envelope with the job type as a message attribute', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const { id } = await queue().enqueue(restart);
    const calls = sqsMock.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ QueueUrl: QUEUE, MessageAttributes: { jobType: { DataType: 'String', StringValue: 'restart' } } });
    expect(input.DelaySeconds).toBeUndefined();
    const parsed = parseMessage(input.MessageBody!);
    expect(parsed).toEqual({ ok: true, envelope: { v: 1, id, enqueuedAt: new Date(NOW).toISOString(), notBefore: null, job: restart } });
  });

  it('delays verify jobs with DelaySeconds', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    await queue().enqueue(verify, { delaySeconds: 300 });
    const input = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.DelaySeconds).toBe(300);
    const env = parseMessage(input.MessageBody!);
    expect(env.ok && env.envelope.notBefore).toBe(new Date(NOW + 300_000).toISOString());
    expect(env.ok && env.envelope.job).toMatchObject({ type: 'verify', history: [] });
  });

  it('caps DelaySeconds at 900 and carries the real due time in notBefore', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    await queue().enqueue(verify, { delaySeconds: 3600 });
    const input = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.DelaySeconds).toBe(900);
    const env = parseMessage(input.MessageBody!);
    expect(env.ok && env.envelope.notBefore).toBe(new Date(NOW + 3600_000).toISOString());
  });

  it('refuses an invalid job before sending anything', async () => {
    await expect(queue().enqueue({ type: 'restart', approvalId: '', incidentId: null, service: 'x' })).rejects.toThrow();
    await expect(queue().enqueue({ type: 'explode' } as unknown as JobInput)).rejects.toThrow();
    await expect(queue().enqueue(restart, { delaySeconds: -1 })).rejects.toThrow();
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('passes SQS errors to the caller', async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied' }));
    await expect(queue().enqueue(restart)).rejects.toThrow(/denied/);
  });

  it('refuses a FIFO queue (no per-message delays there)', () => {
    expect(() => new SqsJobQueue({ client: new SQSClient({ region: 'eu-west-1' }), queueUrl: `${QUEUE}.fifo` })).toThrow(/standard queue/);
  });
});

const record = (messageId: string, body: string, receiveCount = '1') => ({ messageId, body, attributes: { ApproximateReceiveCount: receiveCount } });
const body = (job: JobInput, opts: { delaySeconds?: number; id?: string } = {}, now = NOW) => JSON.stringify(buildEnvelope(job, opts, now));

describe('handleSqsBatch', () => {
  it('runs each job and reports only the failed records (malformed ones included)', async () => {
    const seen: Array<{ job: Job; attempt: number }> = [];
    const problems: string[] = [];
    const event: SqsEvent = {
      Records: [
        record('ok-1', body(restart), '2'),
        record('bad-json', '{not json'),
        record('bad-shape', JSON.stringify({ v: 1, id: 'x', enqueuedAt: 'now', notBefore: null, job: { type: 'restart' } })),
        record('throws', body({ ...restart, approvalId: 'apr_boom' })),
        record('ok-2', body(verify)),
      ],
    };
    const res = await handleSqsBatch(
      event,
      async (job, meta) => {
        if (job.type === 'restart' && job.approvalId === 'apr_boom') throw new Error('executor exploded');
        seen.push({ job, attempt: meta.attempt });
      },
      { onProblem: (p) => problems.push(`${p.messageId}:${p.kind}:${p.error}`), now: () => NOW },
    );
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-json' }, { itemIdentifier: 'bad-shape' }, { itemIdentifier: 'throws' }] });
    expect(seen.map((s) => [s.job.type, s.attempt])).toEqual([
      ['restart', 2],
      ['verify', 1],
    ]);
    expect(problems).toEqual([
      'bad-json:malformed:body is not JSON',
      expect.stringMatching(/^bad-shape:malformed:not a job message: /),
      'throws:handler:executor exploded',
    ]);
  });

  it('re-queues a job that is not due yet (long delays) with the same id, and does not run it', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    const handler = vi.fn(async () => undefined);
    const msg = body(verify, { delaySeconds: 3600, id: 'job-7' });
    const res = await handleSqsBatch({ Records: [record('m1', msg)] }, handler, { queue: queue(NOW + 900_000), now: () => NOW + 900_000 });
    expect(res.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    const input = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.DelaySeconds).toBe(900);
    const env = parseMessage(input.MessageBody!);
    expect(env.ok && env.envelope.id).toBe('job-7');
    expect(env.ok && env.envelope.notBefore).toBe(new Date(NOW + 3600_000).toISOString());
  });

  it('reports a record as failed when re-queueing it fails', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('throttled'));
    const res = await handleSqsBatch({ Records: [record('m1', body(verify, { delaySeconds: 3600 }))] }, async () => undefined, { queue: queue(), now: () => NOW });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('runs a due job', async () => {
    const handler = vi.fn(async () => undefined);
    await handleSqsBatch({ Records: [record('m1', body(verify, { delaySeconds: 60 }))] }, handler, { queue: new InProcessJobQueue(), now: () => NOW + 60_000 });
    expect(handler).toHaveBeenCalledOnce();
  });

  it('keeps at most `concurrency` jobs in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const records = Array.from({ length: 12 }, (_, i) => record(`m${i}`, body(restart)));
    await handleSqsBatch(
      { Records: records },
      async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
  });

  it('throws on an event that is not an SQS batch (wiring mistake)', async () => {
    await expect(handleSqsBatch({} as SqsEvent, async () => undefined)).rejects.toThrow();
  });

  it('handles an empty batch', async () => {
    expect(await handleSqsBatch({ Records: [] }, async () => undefined)).toEqual({ batchItemFailures: [] });
  });
});
