// Lambda entry for the job queue (SQS, ReportBatchItemFailures): each record's job runs through
// lib/worker/run-job.ts; the records that failed are retried alone (Powertools' BatchProcessor
// builds the partial batch response), and land in the DLQ after maxReceiveCount. Jobs not due
// yet (delays past SQS's 15 minutes) go back on the queue. Each record's log lines carry its
// SQS message id as correlation id; the job's metrics are written when the batch ends.
// Composed in lib/wiring/worker.ts.
export { handler } from '../lib/wiring/worker.ts';
