// Lambda entry for the job queue (SQS, ReportBatchItemFailures): each record's job runs through
// lib/worker/run-job.ts; the records that failed are retried alone, and land in the DLQ after
// maxReceiveCount. Jobs not due yet (delays past SQS's 15 minutes) go back on the queue.
// Composed in lib/wiring/worker.ts.
export { handler } from '../lib/wiring/worker.ts';
