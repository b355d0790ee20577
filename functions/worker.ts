// Lambda entry for the job queue (SQS, ReportBatchItemFailures): each record's job runs through
// lib/runtime/jobs.ts; the records that failed are retried alone, and land in the DLQ after
// maxReceiveCount. Jobs not due yet (delays past SQS's 15 minutes) go back on the queue.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleSqsBatch } from '../lib/jobs/sqs.ts';
import { createJobHandler } from '../lib/runtime/jobs.ts';
import { workerContext, workerLog } from '../lib/runtime/worker-context.ts';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await workerContext.get();
  return handleSqsBatch(event, createJobHandler(deps), {
    queue: deps.queue,
    onProblem: (p) => workerLog.warn('job failed', { message: p.messageId, kind: p.kind, reason: p.error }),
  });
}
