// The production queue: SQS (standard queue with a redrive policy to a DLQ). The worker Lambda
// uses the SQS event source with ReportBatchItemFailures, so one bad message is retried (and
// after maxReceiveCount lands in the DLQ) without redelivering the rest of its batch.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { buildEnvelope, parseMessage, secondsUntilDue } from './envelope.ts';
import { MAX_SQS_DELAY_SECONDS, type EnqueueOptions, type JobHandler, type JobInput, type JobQueue } from './model.ts';
import { errorMessage } from '../errors/index.ts';

export interface SqsJobQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Per SendMessage call, retries included. */
  requestTimeoutMs?: number;
  now?: () => number;
}

export class SqsJobQueue implements JobQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: SqsJobQueueOptions) {
    if (/\.fifo$/.test(options.queueUrl)) throw new Error('SqsJobQueue needs a standard queue: FIFO queues have no per-message delay');
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async enqueue(job: JobInput, options: EnqueueOptions = {}): Promise<{ id: string }> {
    const envelope = buildEnvelope(job, options, this.now());
    // Longer delays wait in steps of 15 minutes; the consumer re-defers until notBefore.
    const delay = Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(options.delaySeconds ?? 0));
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(envelope),
        DelaySeconds: delay > 0 ? delay : undefined,
        MessageAttributes: { jobType: { DataType: 'String', StringValue: envelope.job.type } },
      }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    return { id: envelope.id };
  }
}

/** The parts of a Lambda SQS event this reads (structurally compatible with aws-lambda's SQSEvent). */
export interface SqsEvent {
  Records: Array<{ messageId: string; body: string; attributes?: { ApproximateReceiveCount?: string } }>;
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface SqsRecordProblem {
  messageId: string;
  /** `malformed`: the body is not a job message; `handler`: the job threw; `defer`: re-queueing failed. */
  kind: 'malformed' | 'handler' | 'defer';
  error: string;
}

export interface HandleSqsBatchOptions {
  /** Where to put back jobs that are not due yet (delays beyond 15 minutes). Without it they run early. */
  queue?: JobQueue;
  /** Records processed at once (default 10, the default batch size). */
  concurrency?: number;
  /** Told about every failed record (for logs); never about successes. */
  onProblem?: (problem: SqsRecordProblem) => void;
  now?: () => number;
}

const eventSchema = z.object({
  Records: z.array(
    z.object({
      messageId: z.string().min(1),
      body: z.string(),
      attributes: z.object({ ApproximateReceiveCount: z.string().optional() }).partial().optional(),
    }),
  ),
});

/**
 * Runs each record's job; returns the records to retry. A malformed message is a failure too: it
 * is retried until maxReceiveCount and then kept in the DLQ for a human, never silently dropped.
 * An event that is not an SQS batch at all throws (a wiring mistake, not a bad message).
 */
export async function handleSqsBatch(event: SqsEvent, handler: JobHandler, options: HandleSqsBatchOptions = {}): Promise<SqsBatchResponse> {
  const records = eventSchema.parse(event).Records;
  const now = options.now ?? Date.now;
  const failures: string[] = [];
  const fail = (messageId: string, kind: SqsRecordProblem['kind'], err: unknown) => {
    failures.push(messageId);
    options.onProblem?.({ messageId, kind, error: errorMessage(err) });
  };

  const one = async (record: (typeof records)[number]): Promise<void> => {
    const parsed = parseMessage(record.body);
    if (!parsed.ok) return fail(record.messageId, 'malformed', parsed.error);
    const { envelope } = parsed;
    const wait = secondsUntilDue(envelope, now());
    if (wait > 0 && options.queue) {
      try {
        await options.queue.enqueue(envelope.job, { delaySeconds: wait, id: envelope.id });
      } catch (err) {
        fail(record.messageId, 'defer', err);
      }
      return;
    }
    const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    try {
      await handler(envelope.job, { id: envelope.id, enqueuedAt: envelope.enqueuedAt, attempt });
    } catch (err) {
      fail(record.messageId, 'handler', err);
    }
  };

  const limit = Math.max(1, options.concurrency ?? 10);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, records.length) }, async () => {
    while (next < records.length) await one(records[next++]!);
  });
  await Promise.all(lanes);
  // Report in batch order, as Lambda's docs show it (order does not matter to Lambda).
  const order = new Map(records.map((r, i) => [r.messageId, i]));
  failures.sort((a, b) => order.get(a)! - order.get(b)!);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
