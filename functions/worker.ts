// Lambda entry for the job queue (SQS, ReportBatchItemFailures): each record's job runs through
// lib/worker/run-job.ts; the records that failed are retried alone (Powertools' BatchProcessor
// builds the partial batch response), and land in the DLQ after maxReceiveCount. Jobs not due
// yet (delays past SQS's 15 minutes) go back on the queue. Each record's log lines carry its
// SQS message id as correlation id; the job's metrics are written when the batch ends.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleSqsBatch } from '../lib/jobs/sqs.ts';
import { withCorrelationId } from '../lib/lambda/correlation.ts';
import { invocation } from '../lib/lambda/invocation.ts';
import { errorMessage } from '../lib/errors/index.ts';
import { createJobHandler, type WorkerDeps } from '../lib/worker/run-job.ts';
import { workerContext, workerLog, workerTelemetry } from '../lib/wiring/worker.ts';

export async function handler(event: SQSEvent, context?: unknown): Promise<SQSBatchResponse> {
  return invocation(workerTelemetry, context, null, async () => {
    let deps: WorkerDeps;
    try {
      deps = await workerContext.get();
    } catch (err) {
      // The whole batch is retried (and kept in the DLQ) until the configuration is fixed.
      workerLog.error('not configured', { reason: errorMessage(err) });
      throw new Error('leakhound worker is not configured; see the log line above');
    }
    return handleSqsBatch(event, createJobHandler(deps), {
      queue: deps.queue,
      around: withCorrelationId,
      onProblem: (p) => workerLog.warn('job failed', { kind: p.kind, reason: p.error }),
    });
  });
}
