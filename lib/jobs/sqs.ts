// The production queue: SQS (standard queue with a redrive policy to a DLQ). The worker Lambda
// uses the SQS event source with ReportBatchItemFailures, so one bad message is retried (and
// after maxReceiveCount lands in the DLQ) without redelivering the rest of its batch.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
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
  /** Told about every failed record (for logs), inside `around`; never about successes. */
  onProblem?: (problem: SqsRecordProblem) => void;
  /** Wraps each record's work (the worker runs it under the message id as log correlation id). */
  around?: (messageId: string, work: () => Promise<void>) => Promise<void>;
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

/** A record failed: thrown to the batch processor, which lists its message id for a retry. */
class RecordFailure extends Error {}

/** At most `limit` calls of the returned function run at once; the others wait their turn. */
function gate(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Runs each record's job; returns the records to retry (Powertools' BatchProcessor and
 * processPartialResponse: the SQS partial batch response, ReportBatchItemFailures). A malformed
 * message is a failure too: it is retried until maxReceiveCount and then kept in the DLQ for a
 * human, never silently dropped. An event that is not an SQS batch at all throws (a wiring
 * mistake, not a bad message). A batch whose every record failed is answered like any other
 * (each listed), not thrown: Lambda retries the same records either way, and the log says why.
 */
export async function handleSqsBatch(event: SqsEvent, handler: JobHandler, options: HandleSqsBatchOptions = {}): Promise<SqsBatchResponse> {
  const records = eventSchema.parse(event).Records;
  const now = options.now ?? Date.now;
  const around = options.around ?? ((_id, work) => work());
  const slot = gate(Math.max(1, options.concurrency ?? 10));
  const fail = (messageId: string, kind: SqsRecordProblem['kind'], err: unknown): never => {
    const error = errorMessage(err);
    options.onProblem?.({ messageId, kind, error });
    throw new RecordFailure(`${kind}: ${error}`);
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

  // One processor per batch: its state (the records, what failed) is this invocation's alone.
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(
    { Records: records as unknown as SQSRecord[] },
    (record: SQSRecord) => slot(() => around(record.messageId, () => one(record as unknown as (typeof records)[number]))),
    processor,
    { throwOnFullBatchFailure: false },
  );
  // Report in batch order, as Lambda's docs show it (order does not matter to Lambda).
  const order = new Map(records.map((r, i) => [r.messageId, i]));
  const failures = response.batchItemFailures.map((f) => f.itemIdentifier).sort((a, b) => order.get(a)! - order.get(b)!);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
